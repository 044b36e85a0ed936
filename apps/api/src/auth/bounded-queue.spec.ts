import { describe, expect, it } from '@jest/globals';

import { BoundedQueue } from './bounded-queue.js';

/** A task that runs until released, recording how many ran at once. */
function gate(): { promise: Promise<void>; release: () => void } {
  let release = (): void => undefined;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

describe(BoundedQueue.name, () => {
  describe('run', () => {
    it('returns each result while never running more than `concurrency` tasks at once', async () => {
      const queue = new BoundedQueue(2, 0);
      let running = 0;
      let most = 0;
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          queue.run(async () => {
            running += 1;
            most = Math.max(most, running);
            await new Promise((resolve) => setImmediate(resolve));
            running -= 1;
            return i;
          }),
        ),
      );

      expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(most).toBe(2);
      expect(queue.size).toBe(0);
    });

    it('frees the slot of a task that throws', async () => {
      const queue = new BoundedQueue(1, 0);

      await expect(queue.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      expect(await queue.run(() => Promise.resolve('next'))).toBe('next');
    });
  });

  describe('tryRun', () => {
    it('returns undefined without running the task once `maxWaiting` tasks wait, and accepts again after', async () => {
      const queue = new BoundedQueue(1, 2);
      const first = gate();
      const accepted = [
        queue.tryRun(() => first.promise),
        queue.tryRun(() => Promise.resolve()),
        queue.tryRun(() => Promise.resolve()),
      ];
      let ran = false;

      expect(accepted.every((task) => task !== undefined)).toBe(true);
      expect(queue.tryRun(() => Promise.resolve((ran = true)))).toBeUndefined();
      expect(ran).toBe(false);

      first.release();
      await Promise.all(accepted.map((task) => task ?? Promise.resolve()));
      expect(queue.size).toBe(0);
      expect(await queue.tryRun(() => Promise.resolve('again'))).toBe('again');
    });
  });
});
