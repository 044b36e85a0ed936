import { Body, Controller, Header, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';

import { LfsAuthGuard } from '../auth/lfs-auth.guard.js';
import type { Principal } from '../core/principal.js';
import { LfsMediaTypeGuard } from '../http/lfs-media-type.guard.js';
import { CurrentPrincipal, ProjectPath } from '../http/project-path.decorator.js';
import { serializeBatchResponse } from './batch-response.serializer.js';
import { BatchService } from './batch.service.js';

@ApiExcludeController()
@UseGuards(LfsMediaTypeGuard, LfsAuthGuard)
@Controller()
export class BatchController {
  constructor(private readonly batchService: BatchService) {}

  @Post('*project/info/lfs/objects/batch')
  @HttpCode(200)
  @Header('Content-Type', LFS_MEDIA_TYPE)
  async batch(
    @CurrentPrincipal() principal: Principal | undefined,
    @ProjectPath() project: string,
    @Body() body: unknown,
  ): Promise<string> {
    // Serialized here rather than by Express's res.json: see serializeBatchResponse.
    return serializeBatchResponse(await this.batchService.batch(principal, project, body)).json;
  }
}
