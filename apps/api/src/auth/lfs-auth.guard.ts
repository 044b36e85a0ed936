import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';

import { ApiSecrets } from '../core/api-secrets.js';
import type { LfsRequest } from '../http/request-context.js';
import { AuthService } from './auth.service.js';
import { requestClientAddress } from './request-client.js';

/**
 * Authenticates LFS requests that carry HTTP Basic credentials (a username with a password or an access token, as
 * git-lfs's credential helper sends them) and lets anonymous ones through as anonymous: whether anonymous is enough
 * depends on the project (public projects are readable), which the service decides.
 */
@Injectable()
export class LfsAuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly secrets: ApiSecrets,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<LfsRequest>();
    const { authorization } = req.headers;
    if (authorization) {
      req.principal = await this.auth.authenticateAuthorization(
        authorization,
        requestClientAddress(req, this.secrets.internal.clientAddress),
      );
    }
    return true;
  }
}
