import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { internalKeys } from '@lfs-depot/auth';
import type { UploadAuthorization, UploadFinalizeRequest } from '@lfs-depot/contracts';
import { INTERNAL_AUTHORIZE_MEDIA_TYPE, INTERNAL_PATHS, LFS_MEDIA_TYPE } from '@lfs-depot/contracts';
import { silentLogger } from '@lfs-depot/observability';
import { LocalStorage, objectKey } from '@lfs-depot/storage';
import { eventually } from '@lfs-depot/testing';

import { ApiClient, ApiDenial } from '../api-client/api.client.js';
import { ProxyMetrics } from '../metrics.js';
import { InFlightLimiter } from '../http/in-flight-limiter.js';
import { handleUpload } from './upload.handler.js';

/** Stands in for the API: answers authorize as told and records every finalize. */
class FakeApi {
  finalized: UploadFinalizeRequest[] = [];
  constructor(private readonly authorize: () => UploadAuthorization) {}

  authorizeUpload(): Promise<UploadAuthorization> {
    try {
      return Promise.resolve(this.authorize());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  finalizeUpload(request: UploadFinalizeRequest): Promise<void> {
    this.finalized.push(request);
    return Promise.resolve();
  }
}

const allowing = (oid: string) => () => ({
  storageKey: objectKey(oid),
  alreadyStored: false,
  ticket: 'ticket-1',
  uploader: 'user-1',
});
/** Authorizes as the API does for an object whose bytes it already has: verify them, write nothing. */
const allowingStored = (oid: string) => () => ({ ...allowing(oid)(), alreadyStored: true });
const denying = () => () => {
  throw new ApiDenial({
    status: 401,
    contentType: 'application/vnd.git-lfs+json',
    body: '{"message":"Credentials needed"}',
  });
};

/**
 * Reads part of the body, then leaves the request as Node may once it was piped through or destroyed (no socket)
 * and fails as a broken disk would.
 */
class SocketDroppingStorage extends LocalStorage {
  override async put(_key: string, body: Readable): Promise<void> {
    await new Promise((resolve) => body.once('data', resolve));
    Object.defineProperty(body, 'socket', { value: null, configurable: true });
    throw new Error('the disk went away');
  }
}

async function storedFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

describe(handleUpload.name, () => {
  let root: string;
  let storage: LocalStorage;
  let server: http.Server;
  let port: number;
  let api: FakeApi;
  /** A real client, to a stand-in API server, used instead of `api` when set. */
  let apiClient: ApiClient | undefined;
  /** Every handleUpload call's promise: settled means the handler is done and will never finalize any more. */
  let handlers: Promise<void>[];
  let transferIdleMs: number;
  let uploads: InFlightLimiter;

  /** Resolves once every upload handled so far has finished, whatever its outcome. */
  async function handlersFinished(): Promise<void> {
    await Promise.allSettled(handlers);
  }

  beforeEach(async () => {
    handlers = [];
    apiClient = undefined;
    transferIdleMs = 60_000;
    uploads = new InFlightLimiter({ total: Number.MAX_SAFE_INTEGER, perClient: 16 });
    root = await mkdtemp(path.join(os.tmpdir(), 'upload-handler-'));
    storage = new LocalStorage(root);
    server = http.createServer((req, res) => {
      const [, oid = '', size = '0'] = /objects\/([0-9a-f]{64})\/(\d+)$/.exec(req.url ?? '') ?? [];
      handlers.push(
        handleUpload({ project: 'g/p', oid, size: Number(size) }, req, res, 'req-1', {
          api: apiClient ?? (api as unknown as ApiClient),
          storage,
          logger: silentLogger('proxy'),
          transfers: new ProxyMetrics().transfers,
          trustedProxyHops: 0,
          transferIdleMs,
          uploads,
          downloads: new InFlightLimiter({ total: Number.MAX_SAFE_INTEGER, perClient: 16 }),
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    apiClient?.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(root, { recursive: true, force: true });
  });

  function put(oid: string, size: number, body: Buffer): Promise<{ status: number; body: string }> {
    return fetch(`http://127.0.0.1:${port}/g/p.git/info/lfs/objects/${oid}/${size}`, {
      method: 'PUT',
      body,
    }).then(async (response) => ({ status: response.status, body: await response.text() }));
  }

  it('stores verified bytes under the object key and then finalizes', async () => {
    const data = randomBytes(300_000);
    const oid = createHash('sha256').update(data).digest('hex');
    api = new FakeApi(allowing(oid));

    expect((await put(oid, data.length, data)).status).toBe(200);
    expect(api.finalized).toEqual([{ ticket: 'ticket-1', oid, size: data.length, project: 'g/p' }]);
    expect((await readFile(path.join(root, objectKey(oid)))).equals(data)).toBe(true);
  });

  it('relays a denial unchanged and never finalizes', async () => {
    const data = randomBytes(1000);
    const oid = createHash('sha256').update(data).digest('hex');
    api = new FakeApi(denying());

    expect(await put(oid, data.length, data)).toEqual({
      status: 401,
      body: '{"message":"Credentials needed"}',
    });
    await handlersFinished();
    expect(api.finalized).toEqual([]);
    expect(await storedFiles(root)).toEqual([]);
  });

  it('rejects content that does not hash to the oid with 422 and stores nothing', async () => {
    const data = randomBytes(5000);
    const oid = createHash('sha256').update('something else').digest('hex');
    api = new FakeApi(allowing(oid));

    const result = await put(oid, data.length, data);
    expect(result.status).toBe(422);
    expect(JSON.parse(result.body)).toMatchObject({ code: 'OBJECT_MISMATCH' });
    await handlersFinished();
    expect(api.finalized).toEqual([]);
    expect(await storedFiles(root)).toEqual([]);
  });

  it('verifies the body of an already stored object without writing it again, then finalizes', async () => {
    const data = randomBytes(300_000);
    const oid = createHash('sha256').update(data).digest('hex');
    await storage.put(objectKey(oid), Readable.from([data]), { oid, size: data.length });
    const before = await stat(path.join(root, objectKey(oid)));
    api = new FakeApi(allowingStored(oid));

    expect((await put(oid, data.length, data)).status).toBe(200);
    expect(api.finalized).toEqual([{ ticket: 'ticket-1', oid, size: data.length, project: 'g/p' }]);
    const after = await stat(path.join(root, objectKey(oid)));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('rejects a wrong body for an already stored object with 422, never finalizes and keeps the stored bytes', async () => {
    const data = randomBytes(300_000);
    const oid = createHash('sha256').update(data).digest('hex');
    await storage.put(objectKey(oid), Readable.from([data]), { oid, size: data.length });
    const before = await storedFiles(root);
    api = new FakeApi(allowingStored(oid));

    const result = await put(oid, data.length, randomBytes(data.length));

    expect(result.status).toBe(422);
    expect(JSON.parse(result.body)).toMatchObject({ code: 'OBJECT_MISMATCH' });
    await handlersFinished();
    expect(api.finalized).toEqual([]);
    expect(await storedFiles(root)).toEqual(before);
    expect((await readFile(path.join(root, objectKey(oid)))).equals(data)).toBe(true);
  });

  it('rejects a Content-Length that differs from the size in the URL before asking the API', async () => {
    const data = randomBytes(10);
    const oid = createHash('sha256').update(data).digest('hex');
    let asked = false;
    api = new FakeApi(() => {
      asked = true;
      return allowing(oid)();
    });
    expect((await put(oid, 11, data)).status).toBe(422);
    await handlersFinished();
    expect(asked).toBe(false);
    expect(api.finalized).toEqual([]);
  });

  it('stores nothing and never finalizes when the client disconnects mid-body', async () => {
    const data = randomBytes(100_000);
    const oid = createHash('sha256').update(data).digest('hex');
    api = new FakeApi(allowing(oid));

    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        `PUT /g/p.git/info/lfs/objects/${oid}/${data.length} HTTP/1.1\r\nHost: x\r\nContent-Length: ${data.length}\r\n\r\n`,
      );
      socket.write(data.subarray(0, 40_000));
    });
    // The handler has authorized and is streaming the body into storage: hang up in the middle of it.
    await eventually(async () => (await storedFiles(root)).length > 0);
    socket.destroy();

    expect(handlers).toHaveLength(1);
    await handlersFinished();
    expect(api.finalized).toEqual([]);
    expect(await storedFiles(root)).toEqual([]);
  });

  /** Sends an upload's head and the first `sent` bytes of `data` on a raw socket, then nothing more. */
  function stallingUpload(
    oid: string,
    data: Buffer,
    sent: number,
  ): { socket: net.Socket; answer: Promise<string> } {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        `PUT /g/p.git/info/lfs/objects/${oid}/${data.length} HTTP/1.1\r\nHost: x\r\nContent-Length: ${data.length}\r\n\r\n`,
      );
      socket.write(data.subarray(0, sent));
    });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => undefined);
    const answer = new Promise<string>((resolve) =>
      socket.on('close', () => resolve(Buffer.concat(received).toString('utf8'))),
    );
    return { socket, answer };
  }

  // A streamed object, and a small one that storage reads whole before writing.
  it.each([100_000, 10_000])(
    'answers 408, removes its temp file and never finalizes when the body of %d bytes stops arriving',
    async (size) => {
      transferIdleMs = 300;
      const data = randomBytes(size);
      const oid = createHash('sha256').update(data).digest('hex');
      api = new FakeApi(allowing(oid));

      const { answer } = stallingUpload(oid, data, 4_000);

      const text = await answer;
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
      expect(text).toMatch(/\r\nConnection: close\r\n/i);
      expect(text).toContain('"code":"REQUEST_TIMEOUT"');
      await handlersFinished();
      expect(api.finalized).toEqual([]);
      expect(await storedFiles(root)).toEqual([]);
    },
  );

  it('answers a storage failure with its JSON error when the request has lost its socket meanwhile', async () => {
    storage = new SocketDroppingStorage(root);
    const data = randomBytes(100_000);
    const oid = createHash('sha256').update(data).digest('hex');
    api = new FakeApi(allowing(oid));

    const result = await put(oid, data.length, data);

    expect(result.status).toBe(503);
    expect(JSON.parse(result.body)).toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
      retry_after_seconds: 5,
      request_id: 'req-1',
    });
    await expect(Promise.all(handlers)).resolves.toEqual([undefined]);
    expect(api.finalized).toEqual([]);
  });

  it('answers 429 TOO_MANY_UPLOADS with Retry-After to a user at MAX_UPLOADS_PER_USER, and lets them in again after', async () => {
    uploads = new InFlightLimiter({ total: Number.MAX_SAFE_INTEGER, perClient: 1 });
    const data = randomBytes(100_000);
    const oid = createHash('sha256').update(data).digest('hex');
    api = new FakeApi(allowing(oid));
    const first = stallingUpload(oid, data, 40_000);
    await eventually(async () => (await storedFiles(root)).length > 0);

    const refused = await fetch(`http://127.0.0.1:${port}/g/p.git/info/lfs/objects/${oid}/${data.length}`, {
      method: 'PUT',
      body: data,
    });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ code: 'TOO_MANY_UPLOADS' });

    first.socket.destroy();
    await first.answer;
    await handlersFinished();
    expect((await put(oid, data.length, data)).status).toBe(200);
  });

  it('answers 503 with Retry-After and an LFS JSON error when finalize gets no answer in time, and links on a re-send', async () => {
    const data = randomBytes(10_000);
    const oid = createHash('sha256').update(data).digest('hex');
    const finalizes: string[] = [];
    // Authorizes every upload; leaves the first finalize unanswered, as a wedged API would, and answers the next.
    const standIn = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === INTERNAL_PATHS.authorizeUpload) {
          res.writeHead(200, { 'content-type': INTERNAL_AUTHORIZE_MEDIA_TYPE });
          res.end(JSON.stringify(allowing(oid)()));
        } else if (req.url === INTERNAL_PATHS.finalizeUpload) {
          finalizes.push(req.url);
          if (finalizes.length > 1) {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"linked":true}');
          }
        }
      });
    });
    await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
    try {
      apiClient = new ApiClient(
        `http://127.0.0.1:${(standIn.address() as AddressInfo).port}`,
        internalKeys('secret-secret-secret-secret').request,
        50,
      );

      const response = await fetch(
        `http://127.0.0.1:${port}/g/p.git/info/lfs/objects/${oid}/${data.length}`,
        {
          method: 'PUT',
          body: data,
        },
      );

      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('2');
      expect(response.headers.get('content-type')).toContain(LFS_MEDIA_TYPE);
      expect(await response.json()).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        retry_after_seconds: 2,
        request_id: 'req-1',
        documentation_url: expect.any(String),
      });
      await handlersFinished();
      // The bytes stay stored (a re-send verifies or replaces them), and the client's re-send is finalized.
      expect((await readFile(path.join(root, objectKey(oid)))).equals(data)).toBe(true);
      expect((await put(oid, data.length, data)).status).toBe(200);
      expect(finalizes).toHaveLength(2);
    } finally {
      standIn.closeAllConnections();
      await new Promise((resolve) => standIn.close(resolve));
    }
  });
});
