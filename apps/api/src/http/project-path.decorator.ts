import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { DomainError, ErrorCode, parseLfsPath } from '@lfs-depot/contracts';

import type { LfsRequest } from './request-context.js';

/** The project path of an LFS route (`/{group/sub/name}[.git]/info/lfs/...`), without `.git`. */
export const ProjectPath = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const req = context.switchToHttp().getRequest<LfsRequest>();
  const parsed = parseLfsPath(req.path);
  if (!parsed) {
    throw new DomainError(ErrorCode.ROUTE_NOT_FOUND, `No route for ${req.method} ${req.path}`);
  }
  return parsed.project;
});

/** The authenticated principal, or undefined for an anonymous request. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<LfsRequest>().principal,
);
