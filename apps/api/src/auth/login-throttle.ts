import { Injectable, Optional } from '@nestjs/common';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import { MemoryCache } from '../cache/memory.cache.js';
import { SharedCache } from '../cache/shared-cache.js';
import { ApiMetrics } from '../metrics/api-metrics.js';

/** Failed password attempts allowed per client address and username in one window before they have to wait. */
export const MAX_FAILED_LOGINS = 20;
/** Failed password attempts allowed per username from all addresses together, so spreading guesses gains little. */
export const MAX_FAILED_LOGINS_PER_USERNAME = 100;
/** Failed admin-API bearer tokens allowed per client address. */
export const MAX_FAILED_ADMIN_TOKENS = 20;
export const FAILED_LOGIN_WINDOW_SECONDS = 300;

/** One budget an attempt spends from when it fails. */
export interface ThrottleKey {
  key: string;
  limit: number;
  /** Counted on failure, but never the reason an attempt has to wait. */
  countOnly?: boolean;
}

/** The budgets a password sign-in spends: its address with its username, and its username alone. */
export function passwordThrottleKeys(client: string, username: string): ThrottleKey[] {
  return [
    { key: `pw:${client}:${username}`, limit: MAX_FAILED_LOGINS },
    { key: `pw-user:${username}`, limit: MAX_FAILED_LOGINS_PER_USERNAME },
  ];
}

/**
 * The budgets an access token given as a Basic password spends: the password's, so that made-up `lfsd_…` tokens
 * are throttled like wrong passwords (each costs a database lookup). The username's own budget only counts: while
 * guesses from many addresses hold a username over it, its real tokens keep working.
 */
export function tokenThrottleKeys(client: string, username: string): ThrottleKey[] {
  return passwordThrottleKeys(client, username).map((key) =>
    key.key.startsWith('pw-user:') ? { ...key, countOnly: true } : key,
  );
}

/** The budget an admin-API bearer token spends: its address. */
export function adminThrottleKeys(client: string): ThrottleKey[] {
  return [{ key: `admin:${client}`, limit: MAX_FAILED_ADMIN_TOKENS }];
}

/**
 * Slows down guessing by counting failed sign-ins only: a success costs nothing, so a CI farm cloning with the right
 * password never runs out. Failures are counted after the check, in Redis when configured (so every instance shares
 * the count) and always in this process too: while Redis errors, the limits hold per instance instead of failing
 * open. Checks still running can count against the budget, so a burst of parallel guesses cannot slip past the
 * limit before the first of them has failed.
 */
@Injectable()
export class LoginThrottle {
  /** Checks running in this instance, per key. */
  private readonly running = new Map<string, number>();
  /** This instance's own count of failures: the limit while Redis is unreachable. */
  private readonly local = new MemoryCache(100_000);

  constructor(
    private readonly cache: SharedCache,
    @Optional() private readonly metrics?: ApiMetrics,
  ) {}

  /**
   * Runs `check` unless one of `keys` has failed too often, throwing RATE_LIMITED (429) then; counts a failure on
   * every key when the check answers undefined. An error thrown by the check is no failed sign-in and is not counted.
   * With `reserve`, a running check holds a slot of every budget until it ends (for slow checks open to guessing).
   */
  async attempt<T>(
    keys: readonly ThrottleKey[],
    check: () => Promise<T | undefined>,
    options: { reserve: boolean },
  ): Promise<T | undefined> {
    const names = keys.map(({ key }) => `auth:failures:${key}`);
    const counts = await Promise.all(
      names.map(async (name) =>
        Math.max(Number((await this.cache.get(name)) ?? 0), Number((await this.local.get(name)) ?? 0)),
      ),
    );
    const spent = keys.findIndex(
      ({ limit, countOnly }, i) =>
        !countOnly &&
        (counts[i] ?? 0) + (options.reserve ? (this.running.get(names[i] ?? '') ?? 0) : 0) >= limit,
    );
    if (spent >= 0) {
      this.metrics?.throttleRefusals.inc({
        kind: keys[0]?.key.startsWith('admin:') ? 'admin_token' : 'password',
      });
      throw new DomainError(
        ErrorCode.RATE_LIMITED,
        `Too many failed sign-ins; try again in ${FAILED_LOGIN_WINDOW_SECONDS / 60} minutes`,
        { retry_after_seconds: FAILED_LOGIN_WINDOW_SECONDS },
      );
    }
    if (options.reserve) {
      names.forEach((name) => this.running.set(name, (this.running.get(name) ?? 0) + 1));
    }
    try {
      const result = await check();
      if (result === undefined) {
        // Counted before the running check lets go of its slot, so the failure is never missing from both.
        await Promise.all(
          names.flatMap((name) => [
            this.cache.increment(name, FAILED_LOGIN_WINDOW_SECONDS),
            this.local.increment(name, FAILED_LOGIN_WINDOW_SECONDS),
          ]),
        );
      }
      return result;
    } finally {
      if (options.reserve) {
        for (const name of names) {
          const left = (this.running.get(name) ?? 1) - 1;
          if (left > 0) {
            this.running.set(name, left);
          } else {
            this.running.delete(name);
          }
        }
      }
    }
  }
}
