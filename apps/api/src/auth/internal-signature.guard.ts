import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { INTERNAL_SIGNATURE_WINDOW_SECONDS, verifyInternalRequest } from '@lfs-depot/auth';
import { DomainError, ErrorCode, INTERNAL_SIGNATURE_HEADER } from '@lfs-depot/contracts';

import { SharedCache } from '../cache/shared-cache.js';
import { ApiSecrets } from '../core/api-secrets.js';
import type { BodyRequest } from '../http/json-body.js';
import { BODY_LIMITS, readJsonBody } from '../http/json-body.js';
import type { LfsRequest } from '../http/request-context.js';
import { noteRequestProject } from '../http/request-log.js';
import { InternalNonces } from './internal-nonces.js';

/**
 * Internal endpoints answer only calls signed by the proxy with the internal request key, loopback or not, and each
 * signed call only once: its nonce is claimed for as long as the signature is valid, in the shared cache (Redis:
 * every instance refuses a replay) and in this process's InternalNonces (which still refuses one here, on either path,
 * while Redis is unreachable). The signature covers the body, so this guard reads it (up to BODY_LIMITS.internal) before it can check anything.
 */
@Injectable()
export class InternalSignatureGuard implements CanActivate {
  constructor(
    private readonly secrets: ApiSecrets,
    private readonly cache: SharedCache,
    private readonly nonces: InternalNonces,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<LfsRequest & BodyRequest>();
    await this.verify(req);
    noteRequestProject(req);
    return true;
  }

  /**
   * Reads the body and refuses (throws FORBIDDEN) a call the proxy did not sign or that was made before: the guard's
   * whole check, which the internal fast path (internal-transfers-http.handler.ts) runs too.
   */
  async verify(req: BodyRequest & { originalUrl?: string }): Promise<void> {
    await readJsonBody(req, BODY_LIMITS.internal);
    const header = req.headers[INTERNAL_SIGNATURE_HEADER];
    const body = req.rawBody?.toString('utf8') ?? '';
    const signature = verifyInternalRequest(
      this.secrets.internal.request,
      typeof header === 'string' ? header : undefined,
      req.method ?? '',
      // Express keeps the URL as it arrived in originalUrl; ahead of Express, req.url is still that URL.
      req.originalUrl ?? req.url ?? '',
      body,
    );
    if (!signature) {
      throw new DomainError(ErrorCode.FORBIDDEN, 'Internal endpoint: missing or invalid proxy signature');
    }
    const key = `internal-nonce:${signature.nonce}`;
    const [newHere, newEverywhere] = await Promise.all([
      this.nonces.claim(signature.nonce, INTERNAL_SIGNATURE_WINDOW_SECONDS),
      this.cache.setIfAbsent(key, '1', INTERNAL_SIGNATURE_WINDOW_SECONDS),
    ]);
    if (!newHere || !newEverywhere) {
      throw new DomainError(
        ErrorCode.FORBIDDEN,
        'Internal endpoint: this signed call was made before (a replay)',
      );
    }
  }
}
