import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { ExpectedObject } from './object-storage.js';
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
