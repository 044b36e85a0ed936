import { Body, Controller, Header, HttpCode, Post, UseGuards } from '@nestjs/common';
import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';

import { LfsAuthGuard } from '../auth/lfs-auth.guard.js';
import type { Principal } from '../core/principal.js';
import { batchBodyLimit } from '../http/json-body.js';
import { JsonBody } from '../http/json-body.interceptor.js';
import { LfsMediaTypeGuard } from '../http/lfs-media-type.guard.js';
import { ApiExcludeController } from '../http/openapi.decorator.js';
import { CurrentPrincipal, ProjectPath } from '../http/project-path.decorator.js';
import { CurrentProjectAccess, NeedsProjectAccess } from '../projects/project-access.guard.js';
import type { ProjectAccess } from '../projects/project-access.service.js';
import { serializeBatchResponse } from './batch-response.serializer.js';
import { BatchService } from './batch.service.js';

@ApiExcludeController()
@UseGuards(LfsMediaTypeGuard, LfsAuthGuard)
@Controller()
export class BatchController {
  constructor(private readonly batchService: BatchService) {}

  @Post('*project/info/lfs/objects/batch')
  // On the method: method guards run after the controller's, so after LfsAuthGuard has set the principal.
  @NeedsProjectAccess('read')
  @JsonBody((config) => batchBodyLimit(config.limits.maxObjectsPerBatch))
  @HttpCode(200)
  @Header('Content-Type', LFS_MEDIA_TYPE)
  async batch(
    @CurrentPrincipal() principal: Principal | undefined,
    @ProjectPath() project: string,
    @CurrentProjectAccess() access: ProjectAccess | undefined,
    @Body() body: unknown,
  ): Promise<string> {
    // Serialized here rather than by Express's res.json: see serializeBatchResponse.
    const { response, vouched } = await this.batchService.batch(principal, project, body, access);
    return serializeBatchResponse(response, vouched).json;
  }
}
