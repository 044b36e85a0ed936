import { Load, type Sample } from './load.js';
import {
  batch,
  batchObjects,
  isAnswer,
  lfsEndpoint,
  lfsHeaders,
  send,
  testObject,
  type Outcome,
  type TestObject,
} from './lfs-client.js';

/** Batch, PUT and verify of a new object; the first answer that is not a success stands for the whole upload. */
export async function uploadOutcome(
  url: string,
  project: string,
  authorization: string,
  /** Every oid whose PUT was answered 200: each must be linked, whatever happened after. */
  stored: Set<string>,
  timeoutMs?: number,
): Promise<Outcome> {
  const object = testObject(32 * 1024);
  const batched = await batch(url, project, 'upload', [object], authorization, timeoutMs);
  if (!isAnswer(batched) || batched.status !== 200) {
    return batched;
  }
  const [result] = batchObjects(batched);
  const { upload, verify } = result?.actions ?? {};
  if (!upload || !verify) {
    return { error: `no upload action: ${batched.body}` };
  }
  const put = await send(upload.href, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', ...upload.header },
    body: object.data,
    timeoutMs,
  });
  if (!isAnswer(put) || put.status !== 200) {
    return put;
  }
  stored.add(object.oid);
  return send(verify.href, {
    method: 'POST',
    headers: { ...lfsHeaders, ...verify.header },
    body: JSON.stringify({ oid: object.oid, size: object.size }),
    timeoutMs,
  });
}

export const MIXED_KINDS = ['batch', 'locks', 'admin', 'upload'] as const;

/**
 * What git-lfs clients and a platform do all day, round robin over `concurrency` loops: download batches of
 * `present`, lock lists, admin statistics reads and uploads of new objects (recorded in `stored`).
 */
export function mixedLoad(options: {
  url: string;
  project: string;
  authorization: string;
  adminToken: string;
  present: TestObject[];
  stored: Set<string>;
  concurrency?: number;
  timeoutMs?: number;
}): Load {
  const { url, project, authorization, adminToken, present, stored, timeoutMs } = options;
  const kinds: Record<(typeof MIXED_KINDS)[number], () => Promise<Outcome>> = {
    batch: () => batch(url, project, 'download', present, authorization, timeoutMs),
    locks: () =>
      send(lfsEndpoint(url, project, 'locks'), {
        method: 'GET',
        headers: { ...lfsHeaders, authorization },
        timeoutMs,
      }),
    admin: () =>
      send(`${url}/api/v1/projects/${encodeURIComponent(project)}/statistics`, {
        method: 'GET',
        headers: { authorization: `Bearer ${adminToken}` },
        timeoutMs,
      }),
    upload: () => uploadOutcome(url, project, authorization, stored, timeoutMs),
  };
  return new Load(options.concurrency ?? 8, (loop, iteration) => {
    const kind = MIXED_KINDS[(loop + iteration) % MIXED_KINDS.length];
    return { kind, send: kinds[kind] };
  });
}

/** Whether every kind of the mixed load has succeeded at least once among `samples`. */
export function everyKindSucceeded(samples: Sample[]): boolean {
  return MIXED_KINDS.every((kind) => samples.some((sample) => sample.kind === kind && sample.result === 200));
}

export const succeeded = (sample: Sample): boolean => sample.result === 200;
