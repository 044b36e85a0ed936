import { Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Keeps a sequence of reads (every object of one scrub) at or under `bytesPerSecond` on average since the limiter
 * was made: each chunk waits until the bytes before it would have taken that long at the rate. One limiter is shared
 * by all the streams it throttles, so the rate holds across objects, not per object.
 */
export class ByteRateLimiter {
  private readonly started: number;
  private bytes = 0;

  constructor(
    readonly bytesPerSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(bytesPerSecond > 0) || !Number.isFinite(bytesPerSecond)) {
      throw new RangeError(`A byte rate must be a positive number, not ${String(bytesPerSecond)}`);
    }
    this.started = now();
  }

  /** How long (ms) a read of `count` more bytes must wait to keep the rate; counts them as read. */
  delayFor(count: number): number {
    this.bytes += count;
    const due = this.started + (this.bytes / this.bytesPerSecond) * 1000;
    return Math.max(0, due - this.now());
  }

  /** A pass-through stream that holds each chunk back as long as the rate needs (one chunk in flight at most). */
  throttle(signal?: AbortSignal): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        const delay = this.delayFor(chunk.length);
        if (delay === 0) {
          callback(null, chunk);
          return;
        }
        sleep(delay, undefined, { signal }).then(
          () => callback(null, chunk),
          (error: unknown) => callback(error as Error),
        );
      },
    });
  }
}
