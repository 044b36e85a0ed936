import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';

import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';

// Raw HTTP as git-lfs speaks it, without the apps' code in the test process: the reliability specs only talk to
// real processes from outside.

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** What became of a request: an answer, or a transport error (connection refused, reset, cut off). */
export type Outcome = Answer | { error: string };

export interface TestObject {
  data: Buffer;
  oid: string;
  size: number;
}

export function testObject(size: number): TestObject {
  const data = randomBytes(size);
  return { data, oid: createHash('sha256').update(data).digest('hex'), size };
}

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export function isAnswer(outcome: Outcome): outcome is Answer {
  return 'status' in outcome;
}

/** Thrown when a request got no complete answer within its time limit: a hang, which the suite never accepts. */
export class HangError extends Error {}

/**
 * One request on its own connection. Rejects with HangError when no complete answer came within `timeoutMs`;
 * resolves `{error}` when the connection failed (refused, reset), which some faults legitimately cause.
 */
export function send(
  url: string,
  options: {
    method: string;
    headers?: Record<string, string | number>;
    body?: Buffer | string;
    timeoutMs?: number;
    /** Called after each 1 MiB of `body` is handed to the socket with the bytes written so far. */
    onProgress?: (written: number) => void | Promise<void>;
  },
): Promise<Outcome> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: Outcome | HangError): void => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      if (outcome instanceof HangError) {
        req.destroy();
        reject(outcome);
      } else {
        resolve(outcome);
      }
    };
    const timer = setTimeout(
      () => finish(new HangError(`${options.method} ${url} got no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const req = http.request(
      url,
      { method: options.method, headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          finish({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', (error) => finish({ error: error.message }));
      },
    );
    req.on('error', (error) =>
      finish({ error: `${(error as NodeJS.ErrnoException).code ?? ''} ${error.message}` }),
    );
    const { body, onProgress } = options;
    if (!onProgress || body === undefined) {
      req.end(body);
      return;
    }
    const data = Buffer.from(body);
    void (async () => {
      const step = 1024 * 1024;
      for (let offset = 0; offset < data.length && !settled && !req.destroyed; offset += step) {
        const piece = data.subarray(offset, offset + step);
        const flushed = req.write(piece);
        await onProgress(offset + piece.length);
        if (!flushed && !settled && !req.destroyed) {
          await new Promise((resolveDrain) => {
            req.once('drain', resolveDrain);
            req.once('close', resolveDrain);
          });
        }
      }
      if (!settled && !req.destroyed) {
        req.end();
      }
    })();
  });
}

/** `send`, requiring an answer: a transport error rejects. */
export async function answer(url: string, options: Parameters<typeof send>[1]): Promise<Answer> {
  const outcome = await send(url, options);
  if (!isAnswer(outcome)) {
    throw new Error(`${options.method} ${url} failed: ${outcome.error}`);
  }
  return outcome;
}

export function lfsEndpoint(baseUrl: string, project: string, suffix: string): string {
  return `${baseUrl}/${project}.git/info/lfs/${suffix}`;
}

export interface BatchAction {
  href: string;
  header?: Record<string, string>;
}

export interface BatchObject {
  oid: string;
  size: number;
  actions?: { upload?: BatchAction; verify?: BatchAction; download?: BatchAction };
  error?: { code: number; message: string };
}

export const lfsHeaders = { accept: LFS_MEDIA_TYPE, 'content-type': LFS_MEDIA_TYPE };

export function batch(
  baseUrl: string,
  project: string,
  operation: 'upload' | 'download',
  objects: { oid: string; size: number }[],
  authorization: string,
  timeoutMs?: number,
): Promise<Outcome> {
  return send(lfsEndpoint(baseUrl, project, 'objects/batch'), {
    method: 'POST',
    headers: { ...lfsHeaders, authorization },
    body: JSON.stringify({
      operation,
      transfers: ['basic'],
      objects: objects.map(({ oid, size }) => ({ oid, size })),
    }),
    timeoutMs,
  });
}

/** The batch answer's objects; throws unless the batch answered 200. */
export function batchObjects(outcome: Outcome): BatchObject[] {
  if (!isAnswer(outcome) || outcome.status !== 200) {
    throw new Error(`batch failed: ${JSON.stringify(outcome)}`);
  }
  return (JSON.parse(outcome.body) as { objects: BatchObject[] }).objects;
}

/** Batch, PUT and verify of one object, as git-lfs does it; resolves the PUT's and verify's status. */
export async function uploadObject(
  baseUrl: string,
  project: string,
  object: TestObject,
  authorization: string,
): Promise<{ put?: number; verify?: number }> {
  const [result] = batchObjects(await batch(baseUrl, project, 'upload', [object], authorization));
  const { upload, verify } = result?.actions ?? {};
  if (!upload) {
    return {}; // already there
  }
  const put = await answer(upload.href, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', ...upload.header },
    body: object.data,
    timeoutMs: 120_000,
  });
  if (put.status !== 200 || !verify) {
    return { put: put.status };
  }
  const verified = await answer(verify.href, {
    method: 'POST',
    headers: { ...lfsHeaders, ...verify.header },
    body: JSON.stringify({ oid: object.oid, size: object.size }),
  });
  return { put: put.status, verify: verified.status };
}
