import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import type { LfsRequest } from '../http/request-context.js';
import { AuthService } from './auth.service.js';
import { LoginThrottle } from './login-throttle.js';

/** Admin API: `Authorization: Bearer <bootstrap admin token or an admin user's token>`. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly throttle: LoginThrottle,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<LfsRequest>();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match?.[1]) {
      throw new DomainError(
        ErrorCode.UNAUTHENTICATED,
        'The admin API needs Authorization: Bearer <admin token>',
      );
    }
    const client = req.ip ?? 'unknown';
    await this.throttle.assertAllowed(client);
    const principal = await this.auth.authenticateAdmin(match[1]);
    if (!principal) {
      await this.throttle.recordFailure(client);
      throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Invalid or non-admin token');
    }
    req.principal = principal;
    return true;
  }
}
