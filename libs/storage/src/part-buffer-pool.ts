/**
 * The memory that S3 uploads may hold in part buffers, shared by every upload of a process. @aws-sdk/lib-storage
 * assembles each part in a buffer of its own and keeps up to `queueSize` of them in flight; an upload reserves what
 * it can hold from this pool before it starts and gives it back when it ends, so that however many uploads run,
 * their buffers never add up to more than `capacity` bytes: an upload over the budget waits for another to finish
 * rather than allocating.
 */
export class PartBufferPool {
  private inUse = 0;
  private peak = 0;
  private readonly waiting: Array<{ bytes: number; grant: () => void }> = [];

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) {
      throw new RangeError(`A part buffer pool needs a positive capacity, not ${capacity}`);
    }
  }

  /** Bytes currently reserved. */
  get reserved(): number {
    return this.inUse;
  }

  /** The most bytes ever reserved at once (for tests and metrics). */
  get peakReserved(): number {
    return this.peak;
  }

  /** Uploads waiting for room. */
  get waiters(): number {
    return this.waiting.length;
  }

  /**
   * Reserves `bytes` (at most `capacity`), waiting in arrival order until they are free; the returned function gives
   * them back (once, however often it is called). An aborted signal stops the wait with the signal's reason.
   */
  async reserve(bytes: number, signal?: AbortSignal): Promise<() => void> {
    if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes > this.capacity) {
      throw new RangeError(`Cannot reserve ${bytes} bytes of a ${this.capacity}-byte part buffer pool`);
    }
    signal?.throwIfAborted();
    if (this.waiting.length === 0 && this.inUse + bytes <= this.capacity) {
      this.take(bytes);
    } else {
      await new Promise<void>((resolve, reject) => {
        const entry = {
          bytes,
          grant: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = (): void => {
          const index = this.waiting.indexOf(entry);
          if (index >= 0) {
            this.waiting.splice(index, 1);
            // Whoever queued behind this one may fit now.
            this.grantWaiting();
          }
          const reason: unknown = signal?.reason;
          reject(
            reason instanceof Error
              ? reason
              : new Error('Part buffer reservation aborted', { cause: reason }),
          );
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(entry);
      });
    }
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.inUse -= bytes;
        this.grantWaiting();
      }
    };
  }

  private take(bytes: number): void {
    this.inUse += bytes;
    this.peak = Math.max(this.peak, this.inUse);
  }

  /** First come, first served: a large reservation at the head is not overtaken by smaller ones behind it. */
  private grantWaiting(): void {
    for (;;) {
      const next = this.waiting[0];
      if (!next || this.inUse + next.bytes > this.capacity) {
        return;
      }
      this.waiting.shift();
      this.take(next.bytes);
      next.grant();
    }
  }
}
