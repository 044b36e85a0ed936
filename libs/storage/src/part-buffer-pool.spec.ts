import { describe, expect, it } from '@jest/globals';

import { PartBufferPool } from './part-buffer-pool.js';

/** Lets queued grants and their continuations run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe(PartBufferPool.name, () => {
  describe('reserve', () => {
    it('never lends more than its capacity, however many reserve at once, and serves them in order', async () => {
      const pool = new PartBufferPool(10, { slabSize: 1 });
      const order: number[] = [];
      const parts = Array.from({ length: 50 }, (_, index) =>
        pool.reserve(1 + (index % 4)).then((part) => {
          order.push(index);
          expect(pool.reserved).toBeLessThanOrEqual(10);
          return part;
        }),
      );
      await settle();
      expect(pool.reserved).toBeLessThanOrEqual(10);
      expect(pool.waiters).toBeGreaterThan(0);
      // Release whoever holds a reservation until everyone had theirs.
      const pending = new Set(parts);
      while (pending.size > 0) {
        for (const promise of [...pending]) {
          const settled = await Promise.race([promise, settle().then(() => undefined)]);
          if (settled) {
            pending.delete(promise);
            settled.release();
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
      const pool = new PartBufferPool(8, { slabSize: 1 });
      const first = await pool.reserve(6);
      let granted = false;
      const second = pool.reserve(4).then((part) => {
        granted = true;
        return part;
      });
      await settle();
      expect(granted).toBe(false);
      first.release();
      first.release();
      const part = await second;
      expect(pool.reserved).toBe(4);
      part.release();
      expect(pool.reserved).toBe(0);
    });

    it('reserves whole slabs, at least one, even for an empty part', async () => {
      const pool = new PartBufferPool(40, { slabSize: 8 });
      const parts = [
        await pool.reserve(0),
        await pool.reserve(1),
        await pool.reserve(8),
        await pool.reserve(9),
      ];
      expect(pool.reserved).toBe(8 + 8 + 8 + 16);
      for (const part of parts) {
        part.release();
      }
      expect(pool.reserved).toBe(0);
    });

    it('refuses a reservation larger than the pool instead of waiting forever', async () => {
      const pool = new PartBufferPool(8, { slabSize: 4 });
      await expect(pool.reserve(9)).rejects.toThrow(/Cannot reserve 9 bytes of a 8-byte/);
      await expect(pool.reserve(-1)).rejects.toThrow(/Cannot reserve -1 bytes/);
    });

    it('stops waiting when the signal aborts, and lets those behind it through', async () => {
      const pool = new PartBufferPool(8, { slabSize: 1 });
      const held = await pool.reserve(6);
      const controller = new AbortController();
      const big = pool.reserve(8, controller.signal);
      const small = pool.reserve(2);
      controller.abort(new Error('client went away'));
      await expect(big).rejects.toThrow('client went away');
      const part = await small;
      expect(pool.reserved).toBe(8);
      part.release();
      held.release();
      expect(pool.reserved).toBe(0);
    });

    it('rejects at once with the reason when the signal has already aborted', async () => {
      const pool = new PartBufferPool(8, { slabSize: 1 });
      await expect(pool.reserve(1, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
      expect(pool.reserved).toBe(0);
    });
  });

  describe('constructor', () => {
    it('refuses a capacity smaller than one slab and a slab size that is not a positive integer', () => {
      expect(() => new PartBufferPool(3, { slabSize: 4 })).toThrow(
        /capacity of at least one 4-byte slab, not 3/,
      );
      expect(() => new PartBufferPool(8, { slabSize: 0 })).toThrow(/positive slab size, not 0/);
    });
  });
});

describe('PartBuffer', () => {
  describe('write', () => {
    it('copies across slabs up to the part size and gives the bytes back in order', async () => {
      const pool = new PartBufferPool(16, { slabSize: 4 });
      const part = await pool.reserve(10);
      expect(part.write(Buffer.from('abc'))).toBe(3);
      expect(part.write(Buffer.from('defghijklmn'), 1)).toBe(7);
      expect(part.isFull).toBe(true);
      expect(part.write(Buffer.from('x'))).toBe(0);
      expect(Buffer.concat(part.chunks()).toString()).toBe('abcefghijk');
      expect(part.chunks().map((chunk) => chunk.length)).toEqual([4, 4, 2]);
      part.release();
    });

    it('copies the bytes, so the chunk written may be reused by its owner at once', async () => {
      const pool = new PartBufferPool(8, { slabSize: 8 });
      const part = await pool.reserve(4);
      const chunk = Buffer.from('wxyz');
      part.write(chunk);
      chunk.fill(0);
      expect(Buffer.concat(part.chunks()).toString()).toBe('wxyz');
      part.release();
    });

    it('refuses to write into a released part', async () => {
      const pool = new PartBufferPool(8, { slabSize: 8 });
      const part = await pool.reserve(4);
      part.release();
      expect(() => part.write(Buffer.from('a'))).toThrow('A released part buffer cannot be written');
    });
  });

  describe('release', () => {
    it('hands the slabs on to the next part instead of allocating, never beyond the capacity', async () => {
      const pool = new PartBufferPool(8, { slabSize: 4 });
      for (let round = 0; round < 20; round += 1) {
        const part = await pool.reserve(8);
        part.write(Buffer.alloc(8, round));
        expect(Buffer.concat(part.chunks())).toEqual(Buffer.alloc(8, round));
        part.release();
      }
      expect(pool.allocated).toBe(8);
      const halves = [await pool.reserve(4), await pool.reserve(4)];
      halves.forEach((part) => part.write(Buffer.alloc(4, 1)));
      expect(pool.allocated).toBe(8);
      halves.forEach((part) => part.release());
    });
  });
});
