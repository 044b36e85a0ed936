import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { ByteRateLimiter } from './byte-rate-limiter.js';
import type { ExpectedObject, ObjectStorage } from './object-storage.js';
import { ObjectMissingError, StorageVerificationError } from './storage.errors.js';
import { VerifyingStream } from './verifying-stream.js';

/** What re-reading a stored object found: its bytes hash to its oid at its size, are absent, or are not those. */
export type StoredObjectCondition = 'intact' | 'missing' | 'corrupt';

/**
 * Reads the object under `key` from storage and hashes it (SHA-256 and size, as an upload is checked), dropping
 * every byte: constant memory whatever its size, throttled by `limiter` when given. Rejects only for what says
 * nothing about the object (storage unreachable, abort).
 */
export async function checkStoredObject(
  storage: ObjectStorage,
  key: string,
  expected: ExpectedObject,
  options: { signal?: AbortSignal; limiter?: ByteRateLimiter } = {},
): Promise<StoredObjectCondition> {
  let body;
  try {
    body = await storage.open(key);
  } catch (error) {
    if (error instanceof ObjectMissingError) {
      return 'missing';
    }
    throw error;
  }
  const verifier = new VerifyingStream(expected);
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const stopWatching = verifier.abortOn(options.signal);
  try {
    await (options.limiter
      ? pipeline(body, options.limiter.throttle(options.signal), verifier, discard)
      : pipeline(body, verifier, discard));
    return 'intact';
  } catch (error) {
    const cause = verifier.errored ?? error;
    if (cause instanceof StorageVerificationError) {
      return 'corrupt';
    }
    throw cause;
  } finally {
    stopWatching();
  }
}
