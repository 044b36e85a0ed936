import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import type { LfsRequest } from '../http/request-context.js';
import { AuthService } from './auth.service.js';

/** Admin API: `Authorization: Bearer <bootstrap admin token or an admin user's token>`. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly auth: AuthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<LfsRequest>();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match?.[1]) {
      throw new DomainError(
        ErrorCode.UNAUTHENTICATED,
        'The admin API needs Authorization: Bearer <admin token>',
      );
    }
    // Bearer tokens are long random values (or LFS_ADMIN_TOKEN, 16+ characters): guessing them is hopeless, so
    // they are not throttled, and a flood of bad ones can't lock the platform backend out.
    const principal = await this.auth.authenticateAdmin(match[1]);
    if (!principal) {
      throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Invalid or non-admin token');
    }
    req.principal = principal;
    return true;
  }
}
