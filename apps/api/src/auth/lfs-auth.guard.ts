import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';

import { ApiSecrets } from '../core/api-secrets.js';
import type { LfsRequest } from '../http/request-context.js';
import { BasicAuthStrategy } from './basic-auth.strategy.js';
import { requestClientAddress } from './request-client.js';

/**
 * Authenticates LFS requests that carry credentials (passport's HTTP Basic strategy, BasicAuthStrategy) and lets
 * anonymous ones through as anonymous: whether anonymous is enough depends on the project (public projects are
 * readable), which the service decides.
 */
@Injectable()
export class LfsAuthGuard implements CanActivate {
  constructor(
    private readonly basic: BasicAuthStrategy,
    private readonly secrets: ApiSecrets,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<LfsRequest>();
    const { authorization } = req.headers;
    if (authorization) {
      req.principal = await this.basic.authenticate(
        authorization,
        requestClientAddress(req, this.secrets.internal.clientAddress),
      );
    }
    return true;
  }
}
