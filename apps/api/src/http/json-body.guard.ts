import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode, LFS_MEDIA_TYPE } from '@lfs-depot/contracts';

import type { LfsRequest } from './request-context.js';

/**
 * Refuses (415) a request whose body is not JSON, or that has none. A browser may send a cross-site form post or a
 * no-cors fetch (Content-Type text/plain, form-urlencoded or multipart) with the credentials it keeps for us, but
 * never one with a JSON content type: requiring it keeps such requests from changing anything.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<LfsRequest>();
    // req.is() answers null when there is no body at all, false for another type: both are refused.
    if (!req.is(['application/json', 'application/*+json'])) {
      throw new DomainError(
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        `Send a JSON body with Content-Type: ${LFS_MEDIA_TYPE}`,
      );
    }
    return true;
  }
}
