import { Readable, Writable } from 'node:stream';

import type { PartBuffer, PartBufferPool } from './part-buffer-pool.js';

/** A part of a multipart upload as CompleteMultipartUpload lists it. */
export interface UploadedPart {
  PartNumber: number;
  ETag: string;
}

/**
 * The S3 requests an upload makes, for one key. Each body is a fresh stream over the part's buffered bytes, so a
 * request that failed can be sent again with the same bytes; `signal` aborts the request.
 */
export interface PartTarget {
  putObject(body: () => Readable, length: number, signal: AbortSignal): Promise<void>;
  createMultipartUpload(): Promise<string>;
  uploadPart(
    uploadId: string,
    partNumber: number,
    body: () => Readable,
    length: number,
    signal: AbortSignal,
  ): Promise<string>;
  completeMultipartUpload(uploadId: string, parts: UploadedPart[]): Promise<void>;
  abortMultipartUpload(uploadId: string): Promise<void>;
}

export interface S3PartWriterOptions {
  target: PartTarget;
  pool: PartBufferPool;
  /** The object's size: the writer must receive exactly this many bytes before it ends. */
  size: number;
  partSize: number;
  /** Parts of this upload being sent at once (while the next one fills), pool permitting. */
  partsInFlight: number;
}

/**
 * The sink of a verified upload to S3: it copies the bytes into part buffers of the shared pool and sends each full
 * part while the next one fills, at most `partsInFlight` at a time. Nothing becomes visible before end(): an object
 * that fits in one part is sent as one PutObject from _final, and a larger one is committed by the
 * CompleteMultipartUpload that _final sends after its last part. Put after a VerifyingStream, which ends only once
 * size and SHA-256 matched (and errors instead), this stores exactly the verified bytes or nothing; any error, or
 * destroy(), aborts the requests in flight and the multipart upload, and gives every buffer back.
 *
 * Written rather than taken from @aws-sdk/lib-storage, whose chunker builds every part with Buffer.concat (a fresh
 * part-sized allocation per part, garbage the moment the part is sent) and which buffers at its own pace, not the
 * pool's; the S3 calls themselves stay the SDK's.
 */
export class S3PartWriter extends Writable {
  private readonly target: PartTarget;
  private readonly pool: PartBufferPool;
  private readonly size: number;
  private readonly partSize: number;
  private readonly partsInFlight: number;
  private readonly controller = new AbortController();
  private current: PartBuffer | undefined;
  private written = 0;
  private partsSent = 0;
  private uploadId: Promise<string> | undefined;
  private readonly sending = new Set<Promise<void>>();
  private readonly parts: UploadedPart[] = [];
  private failure: Error | undefined;
  private committed = false;

  constructor(options: S3PartWriterOptions) {
    // One chunk at a time: the part buffers are the only buffering, and they are the pool's.
    super({ highWaterMark: 1 });
    this.target = options.target;
    this.pool = options.pool;
    this.size = options.size;
    this.partSize = options.partSize;
    this.partsInFlight = options.partsInFlight;
    if (this.partsInFlight < 1) {
      throw new RangeError('An S3 upload needs at least one part in flight');
    }
  }

  /** True once the object is stored (PutObject or CompleteMultipartUpload answered). */
  get isCommitted(): boolean {
    return this.committed;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.take(chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.commit().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.committed) {
      callback(error);
      return;
    }
    this.failure ??= error ?? new Error('S3 upload destroyed before it was committed');
    this.controller.abort(this.failure);
    this.current?.release();
    this.current = undefined;
    this.abandon().then(
      () => callback(error),
      () => callback(error),
    );
  }

  private async take(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      this.throwIfFailed();
      const left = this.size - this.written;
      if (left === 0) {
        throw new RangeError(`More than the ${this.size} bytes announced were written to an S3 upload`);
      }
      if (!this.current) {
        const part = await this.pool.reserve(Math.min(this.partSize, left), this.controller.signal);
        if (this.failure) {
          // Destroyed while the reservation was being granted: nobody else would give it back.
          part.release();
          throw this.failure;
        }
        this.current = part;
      }
      const taken = this.current.write(chunk, offset);
      offset += taken;
      this.written += taken;
      // A full part that is not the last goes at once; the last waits for end(), which comes after verification.
      if (this.current.isFull && this.written < this.size) {
        const part = this.current;
        this.current = undefined;
        await this.send(part);
      }
    }
  }

  /** Sends `part` as the next part of the multipart upload, after waiting for room among the parts in flight. */
  private async send(part: PartBuffer): Promise<void> {
    try {
      while (this.sending.size >= this.partsInFlight) {
        await Promise.race(this.sending);
      }
      this.throwIfFailed();
    } catch (error) {
      part.release();
      throw error;
    }
    const partNumber = ++this.partsSent;
    // Never aborted: should the upload fail meanwhile, S3 may still create it, and only its id lets abandon() abort it.
    this.uploadId ??= this.target.createMultipartUpload();
    const signal = this.controller.signal;
    const sent = this.uploadId
      .then((uploadId) =>
        this.target.uploadPart(uploadId, partNumber, () => Readable.from(part.chunks()), part.length, signal),
      )
      .then(
        (etag) => {
          this.parts.push({ PartNumber: partNumber, ETag: etag });
        },
        (error: unknown) => {
          // The first failure is the cause; the aborts it sets off fail the other parts with less to say.
          this.failure ??= error instanceof Error ? error : new Error(String(error));
          this.controller.abort(this.failure);
        },
      )
      .finally(() => {
        part.release();
        this.sending.delete(sent);
      });
    this.sending.add(sent);
  }

  private async commit(): Promise<void> {
    if (this.written !== this.size) {
      throw new RangeError(`An S3 upload of ${this.size} bytes ended after ${this.written}`);
    }
    const last = this.current;
    this.current = undefined;
    if (this.partsSent === 0) {
      try {
        const chunks = last?.chunks() ?? [];
        await this.target.putObject(() => Readable.from(chunks), this.size, this.controller.signal);
      } finally {
        last?.release();
      }
      this.committed = true;
      return;
    }
    if (last) {
      await this.send(last);
    }
    while (this.sending.size > 0) {
      await Promise.race(this.sending);
    }
    this.throwIfFailed();
    const uploadId = await this.uploadId!;
    await this.target.completeMultipartUpload(
      uploadId,
      [...this.parts].sort((a, b) => a.PartNumber - b.PartNumber),
    );
    this.committed = true;
  }

  /** After a failure: lets the parts in flight stop (they release their buffers), then aborts the upload. */
  private async abandon(): Promise<void> {
    while (this.sending.size > 0) {
      await Promise.race(this.sending);
    }
    const uploadId = await this.uploadId?.catch(() => undefined);
    if (uploadId !== undefined) {
      // Should this fail, the parts stay invisible until the sweep or the bucket's lifecycle rule removes them.
      await this.target.abortMultipartUpload(uploadId);
    }
  }

  private throwIfFailed(): void {
    if (this.failure) {
      throw this.failure;
    }
  }
}
