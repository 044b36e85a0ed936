import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import { SharedCache } from '../cache/shared-cache.js';

/** Password attempts allowed per client and username in one window before they have to wait. */
export const MAX_FAILED_LOGINS = 20;
export const FAILED_LOGIN_WINDOW_SECONDS = 300;

/**
 * Slows down password guessing. Each attempt first takes a slot (an atomic increment, in Redis when configured so
 * every instance shares the count) and gives it back when the password was right: parallel guesses can't all slip
 * past a read-then-increment check, and a busy client with the right password never runs out.
 */
@Injectable()
export class LoginThrottle {
  constructor(private readonly cache: SharedCache) {}

  private key(client: string): string {
    return `auth:attempts:${client}`;
  }

  /** Takes a slot for one password check, or throws RATE_LIMITED (429) when the budget is spent. */
  async acquire(client: string): Promise<void> {
    const attempts = await this.cache.increment(this.key(client), FAILED_LOGIN_WINDOW_SECONDS);
    if (attempts > MAX_FAILED_LOGINS) {
      throw new DomainError(
        ErrorCode.RATE_LIMITED,
        `Too many failed sign-ins; try again in ${FAILED_LOGIN_WINDOW_SECONDS / 60} minutes`,
        { retry_after_seconds: FAILED_LOGIN_WINDOW_SECONDS },
      );
    }
  }

  /** Gives the slot back after a successful check. */
  async release(client: string): Promise<void> {
    await this.cache.increment(this.key(client), FAILED_LOGIN_WINDOW_SECONDS, -1);
  }
}
