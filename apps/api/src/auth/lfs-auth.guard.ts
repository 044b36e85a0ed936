import type { ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import type { LfsRequest } from '../http/request-context.js';
import type { Principal } from './principal.js';

/**
 * Authenticates LFS requests that carry credentials and lets anonymous ones through as anonymous: whether
 * anonymous is enough depends on the project (public projects are readable), which the service decides.
 */
@Injectable()
export class LfsAuthGuard extends AuthGuard('basic') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<LfsRequest>();
    if (!req.headers.authorization) {
      return true;
    }
    await super.canActivate(context);
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
