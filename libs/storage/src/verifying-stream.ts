import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

import { isValidOid, isValidSize } from '@lfs-depot/contracts';

import type { ExpectedObject } from './object-storage.js';
import { StorageVerificationError } from './storage.errors.js';

/**
 * Passes bytes through unchanged while hashing (SHA-256) and counting them, in constant memory. It errors as soon
 * as one byte more than `expected.size` arrives, and at the end (before emitting 'end') when the size is short or
 * the digest differs. Consumers that commit only on 'end' therefore never commit unverified content: local storage
 * renames only after the pipeline resolves, and S3's upload completes only after its body iterator finishes.
 */
export class VerifyingStream extends Transform {
  private readonly hash = createHash('sha256');
  private received = 0;
  private verified = false;

  constructor(
    readonly expected: ExpectedObject,
    options: { highWaterMark?: number } = {},
  ) {
    super({ highWaterMark: options.highWaterMark });
    if (!isValidOid(expected.oid)) {
      throw new TypeError('expected.oid must be a lowercase hex sha256');
    }
    if (!isValidSize(expected.size)) {
      throw new RangeError('expected.size must be a non-negative safe integer');
    }
  }

  /** Bytes seen so far (one chunk past the limit at most when too many arrive). */
  get bytesReceived(): number {
    return this.received;
  }

  /** True once every byte arrived and matched both size and oid. */
  get isVerified(): boolean {
    return this.verified;
  }

  /**
   * Destroys this stream with the abort reason when `signal` aborts before verification completed (at once if it
   * already has), which fails the surrounding pipeline; returns the function that stops watching.
   */
  abortOn(signal: AbortSignal | undefined): () => void {
    if (!signal) {
      return () => undefined;
    }
    const onAbort = (): void => {
      // Once every byte is verified the commit is already under way; aborting then would only race with it.
      if (this.verified || this.destroyed) {
        return;
      }
      const reason: unknown = signal.reason;
      this.destroy(
        reason instanceof Error ? reason : new DOMException('The operation was aborted', 'AbortError'),
      );
    };
    if (signal.aborted) {
      onAbort();
      return () => undefined;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.expected.size) {
      // Erroring here makes pipeline() destroy the source, so an oversized body is not read any further.
      callback(new StorageVerificationError('size_mismatch', this.expected, { size: this.received }));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const oid = this.hash.digest('hex');
    if (this.received !== this.expected.size) {
      callback(new StorageVerificationError('size_mismatch', this.expected, { size: this.received, oid }));
    } else if (oid !== this.expected.oid) {
      callback(new StorageVerificationError('hash_mismatch', this.expected, { size: this.received, oid }));
    } else {
      this.verified = true;
      callback();
    }
  }
}
