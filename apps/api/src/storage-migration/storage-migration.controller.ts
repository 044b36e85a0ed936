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
import { StorageMigrationService } from './storage-migration.service.js';

/**
 * `POST /api/v1/storage/migrate` `{concurrency?, max_bytes_per_second?}` → 202 with the queued job (follow it
 * under /api/v1/jobs/{id}); 409 while another is queued or running, 422 without STORAGE_FALLBACK.
 */
@ApiTags('storage')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@JsonBody(BODY_LIMITS.admin)
@Controller('api/v1/storage')
export class StorageMigrationController {
  constructor(private readonly migration: StorageMigrationService) {}

  @Post('migrate')
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: JobSchema,
    description: 'The queued migration; follow it at /api/v1/jobs/{id}',
  })
  @ApiErrors('ALREADY_EXISTS', ...BODY_ERRORS)
  startMigration(@Audited() audit: AuditContext, @Body() body: unknown): Promise<JobView> {
    return this.migration.startMigration(body, audit);
  }
}
