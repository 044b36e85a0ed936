import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import { SharedCache } from '../cache/shared-cache.js';

/** Failed password attempts allowed per client and username in one window before they have to wait. */
export const MAX_FAILED_LOGINS = 20;
export const FAILED_LOGIN_WINDOW_SECONDS = 300;

/**
 * Slows down password guessing by counting failed sign-ins only: a success costs nothing, so a CI farm cloning with
 * the right password never runs out. Failures are counted after the check (in Redis when configured, so every
 * instance shares the count); the checks still running count against the budget too, so a burst of parallel guesses
 * cannot slip past the limit before the first of them has failed.
 */
@Injectable()
export class LoginThrottle {
  /** Password checks running in this instance, per key. */
  private readonly running = new Map<string, number>();

  constructor(private readonly cache: SharedCache) {}

  private key(client: string): string {
    return `auth:failures:${client}`;
  }

  /**
   * Runs `check` unless `client` has failed too often, throwing RATE_LIMITED (429) then; counts a failure when the
   * check answers undefined. An error thrown by the check is no failed sign-in and is not counted.
   */
  async attempt<T>(client: string, check: () => Promise<T | undefined>): Promise<T | undefined> {
    const key = this.key(client);
    const failures = Number((await this.cache.get(key)) ?? 0);
    const running = this.running.get(key) ?? 0;
    if (failures + running >= MAX_FAILED_LOGINS) {
      throw new DomainError(
        ErrorCode.RATE_LIMITED,
        `Too many failed sign-ins; try again in ${FAILED_LOGIN_WINDOW_SECONDS / 60} minutes`,
        { retry_after_seconds: FAILED_LOGIN_WINDOW_SECONDS },
      );
    }
    this.running.set(key, running + 1);
    try {
      const result = await check();
      if (result === undefined) {
        // Counted before the running check is let go, so the failure is never missing from both.
        await this.cache.increment(key, FAILED_LOGIN_WINDOW_SECONDS);
      }
      return result;
    } finally {
      const left = (this.running.get(key) ?? 1) - 1;
      if (left > 0) {
        this.running.set(key, left);
      } else {
        this.running.delete(key);
      }
    }
  }
}
