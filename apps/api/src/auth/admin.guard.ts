import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import { ApiSecrets } from '../core/api-secrets.js';
import type { LfsRequest } from '../http/request-context.js';
import { AuthService } from './auth.service.js';
import { requestClientAddress } from './request-client.js';

const PLATFORM_ROUTE = 'lfs-depot:platform-route';

/**
 * Marks an admin route a platform token may call too (push-check, lfs-authenticate, references), for the project named by the
 * route's `:path` parameter when the token is limited to a set of projects.
 */
export const PlatformRoute = (): MethodDecorator & ClassDecorator => SetMetadata(PLATFORM_ROUTE, true);

/**
 * Admin API: `Authorization: Bearer <bootstrap admin token or an admin user's token>`, or a platform token on the
 * routes marked @PlatformRoute() (403 elsewhere).
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly secrets: ApiSecrets,
    private readonly reflector: Reflector,
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
      requestClientAddress(req, this.secrets.internal.clientAddress),
    );
    if (!principal) {
      throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Invalid or non-admin token');
    }
    if (principal.platform) {
      const allowed = this.reflector.getAllAndOverride<boolean | undefined>(PLATFORM_ROUTE, [
        context.getHandler(),
        context.getClass(),
      ]);
      if (!allowed) {
        throw new DomainError(
          ErrorCode.FORBIDDEN,
          'A platform token may only call push-check, lfs-authenticate and references',
        );
      }
      const { projectPaths } = principal.platform;
      const project = (req.params as Record<string, string | undefined>).path;
      if (projectPaths && (project === undefined || !projectPaths.includes(project))) {
        throw new DomainError(ErrorCode.FORBIDDEN, 'This platform token is not valid for that project');
      }
    }
    req.principal = principal;
    return true;
  }
}
