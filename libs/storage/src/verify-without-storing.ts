import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { assertValidKey } from './object-key.js';
import type { ExpectedObject } from './object-storage.js';
import { ObjectMissingError } from './storage.errors.js';
import { VerifyingStream } from './verifying-stream.js';

/**
 * Reads `body` to its end through a VerifyingStream and drops every byte: resolves once size and SHA-256 matched,
 * rejects with the verifier's error (mismatch, abort) or the body's. The common part of the backends' `verify`;
 * deliberately not exported from the lib, so that callers go through `ObjectStorage.verify`.
 */
export async function verifyWithoutStoring(
  body: Readable,
  expected: ExpectedObject,
  options: { signal?: AbortSignal; highWaterMark?: number } = {},
): Promise<void> {
  const verifier = new VerifyingStream(expected, { highWaterMark: options.highWaterMark });
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const stopWatching = verifier.abortOn(options.signal);
  try {
    await pipeline(body, verifier, discard);
  } catch (error) {
    // As in put: the verifier holds the root cause; later stages only saw its side effects.
    throw verifier.errored ?? error;
  } finally {
    stopWatching();
  }
}

/**
 * The whole of a backend's `verify`: the bytes must match `expected` and a copy of that size must already be stored
 * under `key` (as the backend's `stat` sees it), else ObjectMissingError. One place, so that every backend answers
 * "verified but not stored" the same way.
 */
export async function verifyAgainstStored(
  key: string,
  body: Readable,
  expected: ExpectedObject,
  stat: (key: string) => Promise<{ size: number } | undefined>,
  options: { signal?: AbortSignal; highWaterMark?: number } = {},
): Promise<void> {
  assertValidKey(key);
  await verifyWithoutStoring(body, expected, options);
  if ((await stat(key))?.size !== expected.size) {
    throw new ObjectMissingError(key);
  }
}
