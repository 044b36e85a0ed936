import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { closedPort, eventually } from '@lfs-depot/testing';

import { MemoryCache } from './memory.cache.js';
import { RedisCache } from './redis.cache.js';
import type { SharedCache } from './shared-cache.js';

function behavesLikeACache(name: string, make: () => SharedCache | Promise<SharedCache>): void {
  describe(name, () => {
    let cache: SharedCache;
    beforeAll(async () => {
      cache = await make();
    });
    afterAll(async () => {
      await cache.close();
    });

    it('returns what was set until it is deleted', async () => {
      const key = `k-${Math.random()}`;
      await cache.set(key, 'v', 60);
      expect(await cache.get(key)).toBe('v');
      await cache.delete(key);
      expect(await cache.get(key)).toBeUndefined();
    });

    it('delivers what is published to the subscribers of that channel only', async () => {
      const channel = `ch-${Math.random()}`;
      const received: string[] = [];
      cache.subscribe(channel, (message) => received.push(message));
      cache.subscribe(`${channel}-other`, () => received.push('wrong channel'));
      await eventually(() => cache.isSubscribed());
      await cache.publish(channel, 'hello');
      await eventually(() => received.length > 0).catch(() => undefined);
      expect(received).toEqual(['hello']);
    });

    it('sets a key only when it holds nothing, saying whether it did', async () => {
      const key = `n-${Math.random()}`;
      expect(await cache.setIfAbsent(key, 'first', 60)).toBe(true);
      expect(await cache.setIfAbsent(key, 'second', 60)).toBe(false);
      expect(await cache.get(key)).toBe('first');
    });

    it('counts increments', async () => {
      const key = `c-${Math.random()}`;
      expect(await cache.increment(key, 60)).toBe(1);
      expect(await cache.increment(key, 60)).toBe(2);
    });
  });
}

describe('SharedCache', () => {
  behavesLikeACache(MemoryCache.name, () => new MemoryCache());

  const redisUrl = process.env.LFS_TEST_REDIS_URL ?? process.env.REDIS_URL;
  if (redisUrl) {
    behavesLikeACache(RedisCache.name, async () => {
      const cache = new RedisCache(redisUrl, `lfs-test-${process.pid}:`);
      expect(await cache.waitUntilReady()).toBe(true);
      return cache;
    });
  }

  describe(`${MemoryCache.name} expiry and bounds`, () => {
    it('forgets entries after their time to live', async () => {
      let now = 1_000;
      const cache = new MemoryCache(10, () => now);
      await cache.set('a', '1', 5);
      now += 4_999;
      expect(await cache.get('a')).toBe('1');
      now += 2;
      expect(await cache.get('a')).toBeUndefined();
    });

    it('evicts the oldest entry when full', async () => {
      const cache = new MemoryCache(2);
      await cache.set('a', '1', 60);
      await cache.set('b', '2', 60);
      await cache.set('c', '3', 60);
      expect(await cache.get('a')).toBeUndefined();
      expect(await cache.get('c')).toBe('3');
    });
  });

  describe(`${RedisCache.name} without a reachable Redis`, () => {
    it('degrades to misses and reports unhealthy instead of failing or hanging', async () => {
      const cache = new RedisCache(`redis://127.0.0.1:${await closedPort()}/0`);
      await cache.set('a', '1', 60);
      expect(await cache.get('a')).toBeUndefined();
      expect(await cache.increment('n', 60)).toBe(0);
      // As an empty cache would: the replay guard's own memory still refuses what this instance saw.
      expect(await cache.setIfAbsent('nonce', '1', 60)).toBe(true);
      expect(await cache.isHealthy()).toBe(false);
      await cache.close();
    });
  });
});
