import { describe, expect, it } from '@jest/globals';

import { PartBufferPool } from './part-buffer-pool.js';

/** Lets queued grants and their continuations run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PartBufferPool', () => {
  it('never lends more than its capacity, however many reserve at once, and serves them in order', async () => {
    const pool = new PartBufferPool(10);
    const order: number[] = [];
    const releases = Array.from({ length: 50 }, (_, index) =>
      pool.reserve(1 + (index % 4)).then((release) => {
        order.push(index);
        expect(pool.reserved).toBeLessThanOrEqual(10);
        return release;
      }),
    );
    await settle();
    expect(pool.reserved).toBeLessThanOrEqual(10);
    expect(pool.waiters).toBeGreaterThan(0);
    // Release whoever holds a reservation until everyone had theirs.
    const pending = new Set(releases);
    while (pending.size > 0) {
      for (const promise of [...pending]) {
        const settled = await Promise.race([promise, settle().then(() => undefined)]);
        if (settled) {
          pending.delete(promise);
          settled();
        }
      }
    }
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order).toHaveLength(50);
    expect(pool.peakReserved).toBeLessThanOrEqual(10);
    expect(pool.reserved).toBe(0);
    expect(pool.waiters).toBe(0);
  });

  it('makes a reservation wait until enough is given back, and gives back once however often released', async () => {
    const pool = new PartBufferPool(8);
    const first = await pool.reserve(6);
    let granted = false;
    const second = pool.reserve(4).then((release) => {
      granted = true;
      return release;
    });
    await settle();
    expect(granted).toBe(false);
    first();
    first();
    const release = await second;
    expect(pool.reserved).toBe(4);
    release();
    expect(pool.reserved).toBe(0);
  });

  it('refuses a reservation larger than the pool instead of waiting forever', async () => {
    const pool = new PartBufferPool(8);
    await expect(pool.reserve(9)).rejects.toThrow(/Cannot reserve 9 bytes of a 8-byte/);
  });

  it('stops waiting when the signal aborts, and lets those behind it through', async () => {
    const pool = new PartBufferPool(8);
    const held = await pool.reserve(6);
    const controller = new AbortController();
    const big = pool.reserve(8, controller.signal);
    const small = pool.reserve(2);
    controller.abort(new Error('client went away'));
    await expect(big).rejects.toThrow('client went away');
    const release = await small;
    expect(pool.reserved).toBe(8);
    release();
    held();
    expect(pool.reserved).toBe(0);
  });
});
