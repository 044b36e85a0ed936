import { Readable, Writable } from 'node:stream';

import { isRetryable, S3_REQUEST_ATTEMPTS } from './s3-retries.js';

/** The S3 requests of one streamed upload. */
export interface StreamingPutTarget {
  /**
   * Sends one PutObject of exactly `length` bytes read from `body` (never replayed: the body is consumed as it is
   * sent); `signal` aborts the request, cutting the connection before the body is complete.
   */
  putObject(body: Readable, length: number, signal: AbortSignal): Promise<void>;
  /**
   * After the PutObject succeeded: makes its bytes the object (a server-side copy from a temporary key; nothing when
   * the PutObject went to the object's key).
   */
  publish(): Promise<void>;
  /** After a failure: removes whatever the server kept of the body (nothing on S3, a short object on some others). */
  discard(): Promise<void>;
}

export interface S3StreamingPutOptions {
  target: StreamingPutTarget;
  /** The object's size: the writer must receive exactly this many bytes before it ends. */
  size: number;
}

/**
 * The sink of a verified upload to S3 that streams it as one PutObject, holding nothing but the chunk in hand: the
 * bytes go on as they arrive, except the chunk that completes the object, which is held back until end(). Put after a
 * VerifyingStream, which ends only once size and SHA-256 matched, the server therefore never receives a complete body
 * of wrong bytes: a mismatch, an abort or any error cuts the request short of its Content-Length, which S3 refuses
 * without storing anything ("Amazon S3 never adds partial objects"). Servers that do keep a short body (s3rver does)
 * are why, unless the server enforces the body's checksum, the target writes to a temporary key and publishes by
 * copy, and why a failure discards that key.
 *
 * A request that failed before it took any byte is sent again (a stale keep-alive connection, a throttled start);
 * one that took bytes cannot be, since they are gone, and fails the upload, which the client retries.
 */
export class S3StreamingPut extends Writable {
  private readonly target: StreamingPutTarget;
  private readonly size: number;
  private readonly controller = new AbortController();
  private body: Readable | undefined;
  private request: Promise<void> | undefined;
  /** The chunk the request has not taken yet, with the callback that lets the next one come. */
  private pending: { chunk: Buffer; callback: (error?: Error | null) => void } | undefined;
  private wanting = false;
  /** Whether the current request took a byte (then it cannot be sent again). */
  private bodyTaken = false;
  private held: Buffer | undefined;
  private written = 0;
  private failure: Error | undefined;
  private committed = false;

  constructor(options: S3StreamingPutOptions) {
    super({ highWaterMark: 1 });
    this.target = options.target;
    this.size = options.size;
  }

  /** True once the object is stored (the PutObject answered and its bytes were published). */
  get isCommitted(): boolean {
    return this.committed;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.failure) {
      callback(this.failure);
      return;
    }
    if (chunk.length === 0) {
      callback();
      return;
    }
    this.written += chunk.length;
    if (this.written > this.size) {
      callback(new RangeError(`More than the ${this.size} bytes announced were written to an S3 upload`));
      return;
    }
    if (!this.request) {
      this.request = this.send(1);
      // Observed by commit() or _destroy(), whichever comes; until then a failure must not count as unhandled.
      this.request.catch(() => undefined);
    }
    if (this.written === this.size) {
      // The chunk that would complete the body waits for end(), which comes only after verification.
      this.held = chunk;
      callback();
      return;
    }
    this.pending = { chunk, callback };
    this.feed();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.commit().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.committed) {
      callback(error);
      return;
    }
    this.fail(error ?? new Error('S3 upload destroyed before it was committed'));
    this.held = undefined;
    const request = this.request?.catch(() => undefined);
    const discarded = request?.then(() => this.target.discard());
    (discarded ?? Promise.resolve()).then(
      () => callback(error),
      () => callback(error),
    );
  }

  private async commit(): Promise<void> {
    if (this.written !== this.size) {
      throw new RangeError(`An S3 upload of ${this.size} bytes ended after ${this.written}`);
    }
    if (this.failure) {
      throw this.failure;
    }
    const held = this.held;
    this.held = undefined;
    if (held) {
      this.pending = { chunk: held, callback: () => undefined };
      this.feed();
    }
    await this.request;
    await this.target.publish();
    this.committed = true;
  }

  /** Starts attempt `attempt` of the PutObject with a fresh body that takes the chunks as the request reads them. */
  private async send(attempt: number): Promise<void> {
    const body = new Readable({
      read: () => {
        this.wanting = true;
        this.feed();
      },
    });
    this.body = body;
    this.bodyTaken = false;
    this.wanting = false;
    try {
      await this.target.putObject(body, this.size, this.controller.signal);
      if (this.pending?.chunk === undefined && this.held === undefined) {
        return;
      }
      throw new Error('S3 answered the PutObject before its body was complete');
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      if (!this.bodyTaken && !this.failure && attempt < S3_REQUEST_ATTEMPTS && isRetryable(failure)) {
        return this.send(attempt + 1);
      }
      this.fail(failure);
      throw failure;
    } finally {
      body.destroy();
    }
  }

  /** Hands the pending chunk to the body once the request wants more, and lets the next one come. */
  private feed(): void {
    if (!this.wanting || !this.pending || !this.body) {
      return;
    }
    const { chunk, callback } = this.pending;
    this.pending = undefined;
    this.bodyTaken = true;
    this.wanting = this.body.push(chunk);
    if (this.written === this.size && this.held === undefined) {
      this.body.push(null);
    }
    callback();
  }

  private fail(error: Error): void {
    if (this.failure) {
      return;
    }
    this.failure = error;
    this.controller.abort(error);
    const pending = this.pending;
    this.pending = undefined;
    pending?.callback(error);
  }
}
