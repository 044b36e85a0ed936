import net from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import { MemoryCache } from '../cache/memory.cache.js';
import { RedisCache } from '../cache/redis.cache.js';
import {
  adminThrottleKeys,
  LoginThrottle,
  MAX_FAILED_LOGINS,
  MAX_FAILED_LOGINS_PER_USERNAME,
  passwordThrottleKeys,
} from './login-throttle.js';

const failing = (): Promise<undefined> => Promise.resolve(undefined);
const succeeding = (): Promise<string> => Promise.resolve('signed in');

/** Runs `count` failed attempts one after the other. */
async function fail(throttle: LoginThrottle, keys: ReturnType<typeof passwordThrottleKeys>, count = 1) {
  for (let i = 0; i < count; i += 1) {
    await throttle.attempt(keys, failing, { reserve: true });
  }
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe(LoginThrottle.name, () => {
  describe('attempt', () => {
    it('rejects with RATE_LIMITED once the address and username have failed the limit, and only then', async () => {
      const throttle = new LoginThrottle(new MemoryCache());
      const keys = passwordThrottleKeys('203.0.113.1', 'alice');

      await fail(throttle, keys, MAX_FAILED_LOGINS);

      const refused = await throttle
        .attempt(keys, succeeding, { reserve: true })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(DomainError);
      expect(refused).toMatchObject({ code: ErrorCode.RATE_LIMITED, details: { retry_after_seconds: 300 } });
      expect(
        await throttle.attempt(passwordThrottleKeys('203.0.113.2', 'alice'), succeeding, { reserve: true }),
      ).toBe('signed in');
    });

    it('returns the result of successful checks without spending any of the budget', async () => {
      const throttle = new LoginThrottle(new MemoryCache());
      const keys = passwordThrottleKeys('203.0.113.1', 'alice');

      for (let i = 0; i < MAX_FAILED_LOGINS * 3; i += 1) {
        expect(await throttle.attempt(keys, succeeding, { reserve: true })).toBe('signed in');
      }
      await fail(throttle, keys, MAX_FAILED_LOGINS - 1);
      expect(await throttle.attempt(keys, succeeding, { reserve: true })).toBe('signed in');
    });

    it('rejects a username that failed the per-username limit from many addresses, from any address', async () => {
      const throttle = new LoginThrottle(new MemoryCache());
      for (let i = 0; i < MAX_FAILED_LOGINS_PER_USERNAME; i += 1) {
        await fail(throttle, passwordThrottleKeys(`198.51.100.${i}`, 'alice'));
      }

      await expect(
        throttle.attempt(passwordThrottleKeys('192.0.2.1', 'alice'), succeeding, { reserve: true }),
      ).rejects.toMatchObject({ code: ErrorCode.RATE_LIMITED });
      expect(
        await throttle.attempt(passwordThrottleKeys('192.0.2.1', 'bob'), succeeding, { reserve: true }),
      ).toBe('signed in');
    });

    it('counts running checks against the budget only when they reserve', async () => {
      const throttle = new LoginThrottle(new MemoryCache());
      const keys = passwordThrottleKeys('203.0.113.1', 'alice');
      let release = (): void => undefined;
      const held = new Promise<undefined>((resolve) => (release = () => resolve(undefined)));
      const running = Array.from({ length: MAX_FAILED_LOGINS }, () =>
        throttle.attempt(keys, () => held, { reserve: true }),
      );

      await expect(throttle.attempt(keys, succeeding, { reserve: true })).rejects.toMatchObject({
        code: ErrorCode.RATE_LIMITED,
      });
      const admin = adminThrottleKeys('203.0.113.1');
      const parallel = await Promise.all(
        Array.from({ length: MAX_FAILED_LOGINS * 2 }, () =>
          throttle.attempt(admin, succeeding, { reserve: false }),
        ),
      );
      expect(parallel.every((result) => result === 'signed in')).toBe(true);
      release();
      await Promise.all(running);
    });

    it('does not count a check that throws', async () => {
      const throttle = new LoginThrottle(new MemoryCache());
      const keys = passwordThrottleKeys('203.0.113.1', 'alice');
      for (let i = 0; i < MAX_FAILED_LOGINS * 2; i += 1) {
        await expect(
          throttle.attempt(keys, () => Promise.reject(new Error('busy')), { reserve: true }),
        ).rejects.toThrow('busy');
      }

      expect(await throttle.attempt(keys, succeeding, { reserve: true })).toBe('signed in');
    });
  });

  describe('while Redis is unreachable', () => {
    let redis: RedisCache;

    beforeAll(async () => {
      redis = new RedisCache(`redis://127.0.0.1:${await closedPort()}`);
    });

    afterAll(async () => {
      await redis.close();
    });

    it('rejects with RATE_LIMITED after the limit of failures all the same, counted in this process', async () => {
      const throttle = new LoginThrottle(redis);
      const keys = passwordThrottleKeys('203.0.113.1', 'alice');

      await fail(throttle, keys, MAX_FAILED_LOGINS);

      await expect(throttle.attempt(keys, succeeding, { reserve: true })).rejects.toMatchObject({
        code: ErrorCode.RATE_LIMITED,
      });
    });
  });
});
