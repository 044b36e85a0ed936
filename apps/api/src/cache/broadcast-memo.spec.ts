import { describe, expect, it } from '@jest/globals';
import { closedPort, eventually } from '@lfs-depot/testing';

import { BroadcastMemo, type BroadcastMemoOptions } from './broadcast-memo.js';
import { MemoryCache } from './memory.cache.js';
import { RedisCache } from './redis.cache.js';
import type { SharedCache } from './shared-cache.js';

const memo = (bus: SharedCache, options?: BroadcastMemoOptions): BroadcastMemo =>
  new BroadcastMemo(bus, 'test-changed', options);

/** A loader that counts its calls and answers `value`. */
function counting<T>(value: T): { calls: number; load: () => Promise<T> } {
  const loader = {
    calls: 0,
    load: (): Promise<T> => {
      loader.calls += 1;
      return Promise.resolve(value);
    },
  };
  return loader;
}

describe(BroadcastMemo.name, () => {
  it('remembers a loaded value for its time to live, then looks it up again', async () => {
    let now = 1_000;
    const cache = memo(new MemoryCache(), { ttlMs: 10_000, now: () => now });
    const loader = counting({ role: 'write' });
    expect(await cache.load('k', loader.load)).toEqual({ role: 'write' });
    now += 9_999;
    await cache.load('k', loader.load);
    expect(loader.calls).toBe(1);
    now += 2;
    await cache.load('k', loader.load);
    expect(loader.calls).toBe(2);
  });

  it('never remembers an absent value, so an insert needs no invalidation', async () => {
    const cache = memo(new MemoryCache());
    const missing = counting<string | undefined>(undefined);
    await cache.load('k', missing.load);
    await cache.load('k', missing.load);
    expect(missing.calls).toBe(2);
    expect(await cache.load('k', () => Promise.resolve('now there'))).toBe('now there');
  });

  it('forgets everything on invalidate, in every cache on the same channel', async () => {
    const bus = new MemoryCache();
    const here = memo(bus);
    const there = memo(bus);
    const loader = counting('v');
    await here.load('k', loader.load);
    await there.load('k', loader.load);
    await here.invalidate();
    expect(here.size).toBe(0);
    expect(there.size).toBe(0);
    await there.load('k', loader.load);
    expect(loader.calls).toBe(3);
  });

  it('does not store a value whose lookup started before an invalidation', async () => {
    const cache = memo(new MemoryCache());
    let finish: (value: string) => void = () => undefined;
    const pending = cache.load('k', () => new Promise<string>((resolve) => (finish = resolve)));
    await cache.invalidate(); // e.g. the membership was removed while the old role was being read
    finish('stale');
    expect(await pending).toBe('stale');
    expect(cache.size).toBe(0);
  });

  it('evicts the oldest entry when full', async () => {
    const cache = memo(new MemoryCache(), { maxEntries: 2 });
    for (const key of ['a', 'b', 'c']) {
      await cache.load(key, () => Promise.resolve(key));
    }
    expect(cache.size).toBe(2);
    const a = counting('a');
    await cache.load('a', a.load);
    expect(a.calls).toBe(1);
  });

  it('is bypassed while the invalidation channel is down, so a missed message cannot keep a revoked token alive', async () => {
    const redis = new RedisCache(`redis://127.0.0.1:${await closedPort()}/0`);
    try {
      const cache = memo(redis);
      const loader = counting('v');
      await cache.load('k', loader.load);
      await cache.load('k', loader.load);
      expect(loader.calls).toBe(2);
      expect(cache.size).toBe(0);
    } finally {
      await redis.close();
    }
  });

  const redisUrl = process.env.LFS_TEST_REDIS_URL ?? process.env.REDIS_URL;
  (redisUrl ? it : it.skip)('invalidates the caches of other instances through Redis', async () => {
    const prefix = `lfs-test-${process.pid}-${Date.now()}:`;
    const [redisA, redisB] = [new RedisCache(redisUrl!, prefix), new RedisCache(redisUrl!, prefix)];
    try {
      const [a, b] = [memo(redisA), memo(redisB)];
      await eventually(() => redisA.isSubscribed() && redisB.isSubscribed());
      const loader = counting('v');
      await b.load('k', loader.load);
      await b.load('k', loader.load);
      expect(loader.calls).toBe(1);
      await a.invalidate();
      await eventually(() => b.size === 0);
      await b.load('k', loader.load);
      expect(loader.calls).toBe(2);
    } finally {
      await redisA.close();
      await redisB.close();
    }
  });
});

describe('BroadcastMemo.changedSince', () => {
  it('is the start, then the time of the last invalidation here or in another memo on the channel', async () => {
    let now = 1_000;
    const bus = new MemoryCache();
    const here = memo(bus, { now: () => now });
    const there = memo(bus, { now: () => now });
    expect(here.changedSince()).toBe(1_000);
    now = 5_000;
    expect(here.changedSince()).toBe(1_000);
    await there.invalidate();
    expect(here.changedSince()).toBe(5_000);
    expect(there.changedSince()).toBe(5_000);
  });

  it('is now while the invalidation channel is down, so nothing derived earlier is believed', async () => {
    const redis = new RedisCache(`redis://127.0.0.1:${await closedPort()}/0`);
    try {
      let now = 1_000;
      const cache = memo(redis, { now: () => now });
      now = 7_000;
      expect(cache.changedSince()).toBe(7_000);
    } finally {
      await redis.close();
    }
  });
});

describe('BroadcastMemo channels', () => {
  it('empties only the memos on the invalidated channel', async () => {
    const bus = new MemoryCache();
    const access = new BroadcastMemo(bus, 'access-test');
    const links = new BroadcastMemo(bus, 'links-test');
    await access.load('k', () => Promise.resolve('v'));
    await links.load('k', () => Promise.resolve('v'));
    await links.invalidate();
    expect(links.size).toBe(0);
    expect(access.size).toBe(1);
  });
});
