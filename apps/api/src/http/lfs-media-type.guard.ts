import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode, isLfsMediaType, LFS_MEDIA_TYPE } from '@lfs-depot/contracts';

import type { LfsRequest } from './request-context.js';

/** batch.md and locking.md: clients must accept the Git LFS media type; anything else gets 406. */
@Injectable()
export class LfsMediaTypeGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<LfsRequest>();
    if (!isLfsMediaType(req.headers.accept)) {
      throw new DomainError(ErrorCode.NOT_ACCEPTABLE, `Send Accept: ${LFS_MEDIA_TYPE}`);
    }
    return true;
  }
}
