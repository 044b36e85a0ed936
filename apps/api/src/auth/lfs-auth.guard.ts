import type { ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { parseBasicAuthorization } from '@lfs-depot/auth';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import type { LfsRequest } from '../http/request-context.js';
import { LoginThrottle } from './login-throttle.js';
import type { Principal } from './principal.js';

/**
 * Authenticates LFS requests that carry credentials and lets anonymous ones through as anonymous: whether
 * anonymous is enough depends on the project (public projects are readable), which the service decides.
 */
@Injectable()
export class LfsAuthGuard extends AuthGuard('basic') {
  constructor(private readonly throttle: LoginThrottle) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<LfsRequest>();
    if (!req.headers.authorization) {
      return true;
    }
    // Per address and username: one office behind NAT guessing wrong does not lock out its colleagues.
    const client = `${req.ip ?? 'unknown'}:${parseBasicAuthorization(req.headers.authorization)?.username ?? ''}`;
    await this.throttle.assertAllowed(client);
    try {
      await super.canActivate(context);
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.UNAUTHENTICATED) {
        await this.throttle.recordFailure(client);
      }
      throw error;
    }
    req.principal = req.user as Principal;
    return true;
  }

  override handleRequest<T>(error: unknown, user: T | false): T {
    if (error) {
      throw error instanceof Error
        ? error
        : new DomainError(ErrorCode.UNAUTHENTICATED, 'Authentication failed');
    }
    if (!user) {
      throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Invalid username, password or token');
    }
    return user;
  }
}
