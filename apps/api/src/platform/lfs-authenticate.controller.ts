import { Body, Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import type { LfsAuthenticateView } from '@lfs-depot/contracts';

import { AdminGuard, PlatformRoute } from '../auth/admin.guard.js';
import type { Principal } from '../core/principal.js';
import { ApiErrors, BODY_ERRORS } from '../http/api-errors.decorator.js';
import { BODY_LIMITS } from '../http/json-body.js';
import { JsonBody } from '../http/json-body.interceptor.js';
import { ApiBearerAuth, ApiOkResponse, ApiParam, ApiTags } from '../http/openapi.decorator.js';
import { CurrentPrincipal } from '../http/project-path.decorator.js';
import { LfsAuthenticateDto } from './lfs-authenticate.dto.js';
import { LfsAuthenticateService } from './lfs-authenticate.service.js';
import { LfsAuthenticateSchema } from './lfs-authenticate.views.js';

/** For a git platform's SSH server: `git-lfs-authenticate` asks us for the endpoint and a short-lived credential. */
@ApiTags('platform')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@JsonBody(BODY_LIMITS.admin)
@PlatformRoute()
@Controller('api/v1/projects')
export class LfsAuthenticateController {
  constructor(private readonly lfsAuthenticate: LfsAuthenticateService) {}

  @Post(':path/lfs-authenticate')
  @HttpCode(200)
  @ApiParam({ name: 'path', description: 'URL-encoded project path, e.g. group%2Fname' })
  @ApiOkResponse({ type: LfsAuthenticateSchema })
  @ApiErrors(...BODY_ERRORS, 'PROJECT_NOT_FOUND', 'USER_NOT_FOUND')
  authenticate(
    @Param('path') path: string,
    @Body() body: LfsAuthenticateDto,
    @CurrentPrincipal() caller: Principal | undefined,
  ): Promise<LfsAuthenticateView> {
    return this.lfsAuthenticate.authenticate(path, body, caller);
  }
}
