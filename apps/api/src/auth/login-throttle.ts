import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import { SharedCache } from '../cache/shared-cache.js';

/** Failed sign-ins allowed per client (address, plus username where there is one) in one window before it has to wait. */
export const MAX_FAILED_LOGINS = 20;
export const FAILED_LOGIN_WINDOW_SECONDS = 300;

/**
 * Slows down password guessing: counts failed sign-ins per client (in Redis when configured, so every
 * instance sees the same count) and answers 429 with Retry-After once the window's budget is spent.
 */
@Injectable()
export class LoginThrottle {
  constructor(private readonly cache: SharedCache) {}

  private key(clientAddress: string): string {
    return `auth:fail:${clientAddress}`;
  }

  async assertAllowed(clientAddress: string): Promise<void> {
    const failures = Number((await this.cache.get(this.key(clientAddress))) ?? 0);
    if (failures >= MAX_FAILED_LOGINS) {
      throw new DomainError(
        ErrorCode.RATE_LIMITED,
        `Too many failed sign-ins; try again in ${FAILED_LOGIN_WINDOW_SECONDS / 60} minutes`,
        { retry_after_seconds: FAILED_LOGIN_WINDOW_SECONDS },
      );
    }
  }

  async recordFailure(clientAddress: string): Promise<void> {
    await this.cache.increment(this.key(clientAddress), FAILED_LOGIN_WINDOW_SECONDS);
  }
}
