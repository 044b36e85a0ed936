import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import { ApiSecrets } from '../core/api-secrets.js';
import type { LfsRequest } from '../http/request-context.js';
import { AuthService } from './auth.service.js';
import { requestClientAddress } from './request-client.js';

/** Admin API: `Authorization: Bearer <bootstrap admin token or an admin user's token>`. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly secrets: ApiSecrets,
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
    // Only failures are counted, per client address: a flood of bad tokens from elsewhere can't lock the platform
    // backend out, and a guesser (or a script with a stale token) is slowed down.
    const principal = await this.auth.authenticateAdmin(
      match[1],
      requestClientAddress(req, this.secrets.internalSecret),
    );
    if (!principal) {
      throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Invalid or non-admin token');
    }
    req.principal = principal;
    return true;
  }
}
