import { Body, Controller, Header, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { BatchResponse } from '@lfs-depot/contracts';
import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';

import { LfsAuthGuard } from '../auth/lfs-auth.guard.js';
import type { Principal } from '../auth/principal.js';
import { LfsMediaTypeGuard } from '../http/lfs-media-type.guard.js';
import { CurrentPrincipal, ProjectPath } from '../http/project-path.decorator.js';
import { BatchService } from './batch.service.js';

@ApiExcludeController()
@UseGuards(LfsMediaTypeGuard, LfsAuthGuard)
@Controller()
export class BatchController {
  constructor(private readonly batchService: BatchService) {}

  @Post('*project/info/lfs/objects/batch')
  @HttpCode(200)
  @Header('Content-Type', LFS_MEDIA_TYPE)
  batch(
    @CurrentPrincipal() principal: Principal | undefined,
    @ProjectPath() project: string,
    @Body() body: unknown,
  ): Promise<BatchResponse> {
    return this.batchService.batch(principal, project, body);
  }
}
