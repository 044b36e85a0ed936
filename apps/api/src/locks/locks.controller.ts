import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import type { LockListResponse, LockResponse, LockVerifyResponse } from '@lfs-depot/contracts';
import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';

import { RequestOrigin } from '../audit/audit-context.decorator.js';
import type { RequestOriginInfo } from '../audit/audit-context.js';
import { LfsAuthGuard } from '../auth/lfs-auth.guard.js';
import type { Principal } from '../core/principal.js';
import { JsonBodyGuard } from '../http/json-body.guard.js';
import { BODY_LIMITS } from '../http/json-body.js';
import { JsonBody } from '../http/json-body.interceptor.js';
import { LfsMediaTypeGuard } from '../http/lfs-media-type.guard.js';
import { ApiExcludeController } from '../http/openapi.decorator.js';
import { CurrentPrincipal, ProjectPath } from '../http/project-path.decorator.js';
import { NeedsProjectAccess } from '../projects/project-access.guard.js';

import { LocksService } from './locks.service.js';

/** The Git LFS file locking API below `/{project}[.git]/info/lfs/locks` (locking.md). */
@ApiExcludeController()
@UseGuards(LfsMediaTypeGuard, LfsAuthGuard)
@Controller()
export class LocksController {
  constructor(private readonly locksService: LocksService) {}

  @Post('*project/info/lfs/locks')
  @NeedsProjectAccess('write')
  @JsonBody(BODY_LIMITS.locks)
  @HttpCode(201)
  @Header('Content-Type', LFS_MEDIA_TYPE)
  createLock(
    @CurrentPrincipal() principal: Principal | undefined,
    @ProjectPath() project: string,
    @Body() body: unknown,
  ): Promise<LockResponse> {
    return this.locksService.createLock(principal, project, body);
  }

  @Get('*project/info/lfs/locks')
  @Header('Content-Type', LFS_MEDIA_TYPE)
  listLocks(
    @CurrentPrincipal() principal: Principal | undefined,
    @ProjectPath() project: string,
    @Query() query: Record<string, unknown>,
  ): Promise<LockListResponse> {
    return this.locksService.listLocks(principal, project, query);
  }

  @Post('*project/info/lfs/locks/verify')
  @NeedsProjectAccess('write')
  @JsonBody(BODY_LIMITS.locks)
  @HttpCode(200)
  @Header('Content-Type', LFS_MEDIA_TYPE)
  verifyLocks(
    @CurrentPrincipal() principal: Principal | undefined,
    @ProjectPath() project: string,
    @Body() body: unknown,
  ): Promise<LockVerifyResponse> {
    return this.locksService.verifyLocks(principal, project, body);
  }

  @Post('*project/info/lfs/locks/:id/unlock')
  @NeedsProjectAccess('write')
  @JsonBody(BODY_LIMITS.locks)
  @UseGuards(JsonBodyGuard)
  @HttpCode(200)
  @Header('Content-Type', LFS_MEDIA_TYPE)
  unlock(
    @CurrentPrincipal() principal: Principal | undefined,
    @ProjectPath() project: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @RequestOrigin() origin: RequestOriginInfo,
  ): Promise<LockResponse> {
    return this.locksService.unlock(principal, project, id, body, origin);
  }
}
