import { createHash, timingSafeEqual } from 'node:crypto';

import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import { ApiSecrets } from '../core/api-secrets.js';
import type { LfsRequest } from '../http/request-context.js';
import { AuthService } from './auth.service.js';
import { requestClientAddress } from './request-client.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * GET /metrics: `Authorization: Bearer` with the metrics token (METRICS_TOKEN) or the admin token. Anything but the
 * metrics token is checked as an admin token, so wrong guesses spend the address's admin-token budget.
 */
@Injectable()
export class MetricsGuard implements CanActivate {
  private readonly metricsTokenDigest: Buffer | undefined;

  constructor(
    private readonly auth: AuthService,
    private readonly secrets: ApiSecrets,
  ) {
    this.metricsTokenDigest = secrets.metricsToken === undefined ? undefined : digest(secrets.metricsToken);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<LfsRequest>();
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer) {
      throw new DomainError(
        ErrorCode.UNAUTHENTICATED,
        'GET /metrics needs Authorization: Bearer <metrics token or admin token>',
      );
    }
    // Digests of equal length compared in constant time, as the admin token is.
    if (this.metricsTokenDigest && timingSafeEqual(digest(bearer), this.metricsTokenDigest)) {
      return true;
    }
    const principal = await this.auth.authenticateAdmin(
      bearer,
      requestClientAddress(req, this.secrets.internal.clientAddress),
    );
    if (!principal || principal.platform) {
      throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Invalid metrics or admin token');
    }
    return true;
  }
}
