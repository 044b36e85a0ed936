import { createHash } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';

import type { ExpectedObject } from './object-storage.js';
import { StorageVerificationError } from './storage.errors.js';

/**
 * Reads a body of at most `expected.size` bytes into memory, hashing (SHA-256) and counting every byte as
 * VerifyingStream does, and resolves with the bytes only when they match both oid and size. For objects small enough
 * that a stream pipeline and its write stream would cost more than the bytes (bench/README.md, small push): callers
 * bound `expected.size`, so memory stays bounded too. Rejects, and stops reading the body, as soon as one byte too many
 * arrives or `signal` aborts (with its reason); with the body's error when it fails; when it closes before its end.
 */
export function readSmallBody(
  body: Readable,
  expected: ExpectedObject,
  signal?: AbortSignal,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (error: unknown, content?: Buffer): void => {
      if (settled) {
        return;
      }
      settled = true;
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      if (error === undefined) {
        resolve(content ?? Buffer.alloc(0));
      } else {
        stopReading(body);
        // The body's own error or the abort's reason, passed on as it came, as pipeline() does.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(error);
      }
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > expected.size) {
        settle(new StorageVerificationError('size_mismatch', expected, { size: received }));
        return;
      }
      hash.update(chunk);
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      const oid = hash.digest('hex');
      if (received !== expected.size) {
        settle(new StorageVerificationError('size_mismatch', expected, { size: received, oid }));
      } else if (oid !== expected.oid) {
        settle(new StorageVerificationError('hash_mismatch', expected, { size: received, oid }));
      } else {
        settle(undefined, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received));
      }
    };
    const onClose = (): void => {
      settle(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    };
    const onAbort = (): void => {
      const reason: unknown = signal?.reason;
      settle(reason instanceof Error ? reason : new DOMException('The operation was aborted', 'AbortError'));
    };
    // Stays attached: a body that fails after it was settled must not take the process down.
    body.on('error', (error) => settle(error));
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('close', onClose);
  });
}

/** Reads no more of a body that was given up on; an error it emits later has the listener readSmallBody left. */
function stopReading(body: Readable): void {
  if (body instanceof IncomingMessage) {
    // Not destroyed: that would close the socket before the answer (a 422, a 408) is written on it. Paused, it
    // reads no more, and the server closes or drains the connection once that answer is sent.
    body.pause();
  } else {
    body.destroy();
  }
}
