import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { verifyInternalRequest } from '@lfs-depot/auth';
import { DomainError, ErrorCode, INTERNAL_SIGNATURE_HEADER } from '@lfs-depot/contracts';

import { ApiSecrets } from '../core/api-secrets.js';
import type { BodyRequest } from '../http/json-body.js';
import { BODY_LIMITS, readJsonBody } from '../http/json-body.js';
import type { LfsRequest } from '../http/request-context.js';

/**
 * Internal endpoints answer only calls signed by the proxy with the shared secret, loopback or not. The signature
 * covers the body, so this guard reads it (up to BODY_LIMITS.internal) before it can check anything.
 */
@Injectable()
export class InternalSignatureGuard implements CanActivate {
  constructor(private readonly secrets: ApiSecrets) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<LfsRequest & BodyRequest>();
    await readJsonBody(req, BODY_LIMITS.internal);
    const header = req.headers[INTERNAL_SIGNATURE_HEADER];
    const body = req.rawBody?.toString('utf8') ?? '';
    if (
      !verifyInternalRequest(
        this.secrets.internalSecret,
        typeof header === 'string' ? header : undefined,
        req.method,
        req.originalUrl,
        body,
      )
    ) {
      throw new DomainError(ErrorCode.FORBIDDEN, 'Internal endpoint: missing or invalid proxy signature');
    }
    return true;
  }
}
