import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import type { JobView } from '@lfs-depot/contracts';

import type { AuditContext } from '../audit/audit-context.js';
import { Audited } from '../audit/audit-context.decorator.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { ApiErrors, BODY_ERRORS } from '../http/api-errors.decorator.js';
import { BODY_LIMITS } from '../http/json-body.js';
import { JsonBody } from '../http/json-body.interceptor.js';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags } from '../http/openapi.decorator.js';
import { JobSchema } from '../jobs/jobs.views.js';
import { GcService } from './gc.service.js';

/** `POST /api/v1/gc` `{project?, dry_run?}` → 202 with the queued job (follow it under /api/v1/jobs/{id}). */
@ApiTags('gc')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@JsonBody(BODY_LIMITS.admin)
@Controller('api/v1/gc')
export class GcController {
  constructor(private readonly gc: GcService) {}

  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: JobSchema,
    description: 'The queued collection; follow it at /api/v1/jobs/{id}',
  })
  @ApiErrors('PROJECT_NOT_FOUND', ...BODY_ERRORS)
  startGc(@Audited() audit: AuditContext, @Body() body: unknown): Promise<JobView> {
    return this.gc.startGc(body, audit);
  }
}
