import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { applyDecorators, createParamDecorator, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from '@lfs-depot/contracts';
import { DomainError, ErrorCode, parseLfsPath } from '@lfs-depot/contracts';

import type { LfsRequest } from '../http/request-context.js';
import { ProjectAccessService } from './project-access.service.js';
import type { ProjectAccess } from './project-access.service.js';

interface ProjectAccessRequest extends LfsRequest {
  /** The caller's access to an LFS route's project, when ProjectAccessGuard checked it. */
  projectAccess?: ProjectAccess;
}

const NEEDED_ROLE = 'lfs-depot:needed-role';

/**
 * Checks, after LfsAuthGuard and before the body is read, that the caller holds at least `role` on the LFS route's
 * project: anonymous callers of a private project get their 401, and strangers their 404, without the body being read.
 * The service still makes its own, finer decision (an upload batch needs write) from the body.
 */
export const NeedsProjectAccess = (role: Role): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(NEEDED_ROLE, role), UseGuards(ProjectAccessGuard));

@Injectable()
export class ProjectAccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly access: ProjectAccessService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const role = this.reflector.getAllAndOverride<Role | undefined>(NEEDED_ROLE, [
      context.getHandler(),
      context.getClass(),
    ]);
    const req = context.switchToHttp().getRequest<ProjectAccessRequest>();
    const parsed = parseLfsPath(req.path);
    if (!role || !parsed) {
      throw new DomainError(ErrorCode.ROUTE_NOT_FOUND, `No route for ${req.method} ${req.path}`);
    }
    req.projectAccess = await this.access.requireAccess(req.principal, parsed.project, role);
    return true;
  }
}

/** The caller's access to the project, as ProjectAccessGuard found it (undefined on routes without the guard). */
export const CurrentProjectAccess = createParamDecorator(
  (_data: unknown, context: ExecutionContext) =>
    context.switchToHttp().getRequest<ProjectAccessRequest>().projectAccess,
);
