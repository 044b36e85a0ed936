import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import type { CreatedPlatformTokenView, PlatformTokenPageView } from '@lfs-depot/contracts';

import { Audited } from '../audit/audit-context.decorator.js';
import type { AuditContext } from '../audit/audit-context.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { ApiErrors, BODY_ERRORS } from '../http/api-errors.decorator.js';
import { BODY_LIMITS } from '../http/json-body.js';
import { JsonBody } from '../http/json-body.interceptor.js';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '../http/openapi.decorator.js';
import { CreatePlatformTokenDto, PageQueryDto } from './admin.dto.js';
import { CreatedPlatformTokenSchema, PlatformTokenPageSchema } from './admin.views.js';
import { PlatformTokensAdminService } from './platform-tokens-admin.service.js';

/** Credentials for a git host's hooks and SSH server: push-check and lfs-authenticate only. */
@ApiTags('platform tokens')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@JsonBody(BODY_LIMITS.admin)
@Controller('api/v1/platform-tokens')
export class PlatformTokensAdminController {
  constructor(private readonly tokens: PlatformTokensAdminService) {}

  @Post()
  @ApiCreatedResponse({ type: CreatedPlatformTokenSchema })
  @ApiErrors(...BODY_ERRORS)
  create(
    @Audited() audit: AuditContext,
    @Body() body: CreatePlatformTokenDto,
  ): Promise<CreatedPlatformTokenView> {
    return this.tokens.create(audit, body);
  }

  @Get()
  @ApiOkResponse({ type: PlatformTokenPageSchema })
  @ApiErrors('VALIDATION_FAILED')
  list(@Query() query: PageQueryDto): Promise<PlatformTokenPageView> {
    return this.tokens.list(query);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Revoked: 401 with it from then on' })
  @ApiErrors('TOKEN_NOT_FOUND')
  revoke(@Audited() audit: AuditContext, @Param('id') id: string): Promise<void> {
    return this.tokens.revoke(audit, id);
  }
}
