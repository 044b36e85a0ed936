import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';

import { AdminGuard } from '../auth/admin.guard.js';
import { BODY_LIMITS } from '../http/json-body.js';
import { JsonBody } from '../http/json-body.interceptor.js';
import { CreatePlatformTokenDto } from './admin.dto.js';
import { PlatformTokensAdminService } from './platform-tokens-admin.service.js';
import type { CreatedPlatformTokenView, PlatformTokenView } from './platform-tokens-admin.service.js';

/** Credentials for a git host's hooks and SSH server: push-check and lfs-authenticate only. */
@ApiTags('platform tokens')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@JsonBody(BODY_LIMITS.admin)
@Controller('api/v1/platform-tokens')
export class PlatformTokensAdminController {
  constructor(private readonly tokens: PlatformTokensAdminService) {}

  @Post()
  create(@Body() body: CreatePlatformTokenDto): Promise<CreatedPlatformTokenView> {
    return this.tokens.create(body);
  }

  @Get()
  list(): Promise<PlatformTokenView[]> {
    return this.tokens.list();
  }

  @Delete(':id')
  @HttpCode(204)
  revoke(@Param('id') id: string): Promise<void> {
    return this.tokens.revoke(id);
  }
}
