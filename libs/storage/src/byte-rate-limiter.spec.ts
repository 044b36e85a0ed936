import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { describe, expect, it } from '@jest/globals';

import { ByteRateLimiter } from './byte-rate-limiter.js';

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe(ByteRateLimiter.name, () => {
  describe('constructor', () => {
    it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY])('rejects when the rate is %s', (rate) => {
      expect(() => new ByteRateLimiter(rate)).toThrow(RangeError);
    });
  });

  describe('delayFor', () => {
    it('returns how long the bytes so far are ahead of the rate, across every read', () => {
      const clock = manualClock();
      const limiter = new ByteRateLimiter(1000, clock.now);
      expect(limiter.delayFor(500)).toBe(500);
      clock.advance(500);
      expect(limiter.delayFor(500)).toBe(500);
      clock.advance(2000);
      // Idle time counts for later reads: the average since the start is what is kept.
      expect(limiter.delayFor(1000)).toBe(0);
      expect(limiter.delayFor(1000)).toBe(500);
    });
  });

  describe('throttle', () => {
    it('passes every byte through unchanged, in order', async () => {
      const limiter = new ByteRateLimiter(10_000_000);
      const chunks = [Buffer.from('abc'), Buffer.from('defg'), Buffer.from('h')];
      const received: Buffer[] = [];
      await pipeline(
        Readable.from(chunks),
        limiter.throttle(),
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            received.push(chunk);
            callback();
          },
        }),
      );
      expect(Buffer.concat(received).toString()).toBe('abcdefgh');
    });

    it('rejects with the abort when the signal is aborted while a chunk waits', async () => {
      const limiter = new ByteRateLimiter(1);
      const controller = new AbortController();
      const done = pipeline(
        Readable.from([Buffer.alloc(1000)]),
        limiter.throttle(controller.signal),
        new Writable({ write: (_chunk, _encoding, callback) => callback() }),
      );
      controller.abort();
      await expect(done).rejects.toMatchObject({ name: 'AbortError' });
    });
  });
});
