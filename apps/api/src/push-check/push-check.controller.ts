import { Body, Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import type { PushCheckResponse } from '@lfs-depot/contracts';

import { AdminGuard, PlatformRoute } from '../auth/admin.guard.js';
import { ApiErrors, BODY_ERRORS } from '../http/api-errors.decorator.js';
import { BODY_LIMITS } from '../http/json-body.js';
import { JsonBody } from '../http/json-body.interceptor.js';
import { ApiBearerAuth, ApiOkResponse, ApiParam, ApiTags } from '../http/openapi.decorator.js';
import { PushCheckService } from './push-check.service.js';
import { PushCheckResponseSchema } from './push-check.views.js';

/**
 * Called by `lfs-depot pre-receive` (or a platform's own hook) with a service token, before a push lands:
 * `{username, changes: [{ref, paths, pointers: [{oid, size, paths?}]}]}`.
 */
@ApiTags('push check')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@JsonBody(BODY_LIMITS.pushCheck)
@PlatformRoute()
@Controller('api/v1/projects')
export class PushCheckController {
  constructor(private readonly pushCheck: PushCheckService) {}

  @Post(':path/push-check')
  @HttpCode(200)
  @ApiParam({ name: 'path', description: 'URL-encoded project path, e.g. group%2Fname' })
  @ApiOkResponse({ type: PushCheckResponseSchema })
  @ApiErrors(...BODY_ERRORS, 'PROJECT_NOT_FOUND', 'USER_NOT_FOUND')
  checkPush(@Param('path') path: string, @Body() body: unknown): Promise<PushCheckResponse> {
    return this.pushCheck.checkPush(path, body);
  }
}
