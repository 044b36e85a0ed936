import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import type { JobsPageView, JobView } from '@lfs-depot/contracts';

import type { AuditContext } from '../audit/audit-context.js';
import { Audited } from '../audit/audit-context.decorator.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { ApiErrors } from '../http/api-errors.decorator.js';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '../http/openapi.decorator.js';
import { JobSchema, JobsPageSchema } from '../jobs/jobs.views.js';
import { ListJobsQueryDto } from './admin.dto.js';
import { JobsAdminService } from './jobs-admin.service.js';

/**
 * The long operations the API runs (gc): `GET /api/v1/jobs`, `GET /api/v1/jobs/{id}`, `POST …/{id}/cancel`. Looking
 * at jobs also wakes this instance's runner, so that a job whose instance died is taken over.
 */
@ApiTags('jobs')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('api/v1/jobs')
export class JobsAdminController {
  constructor(private readonly jobs: JobsAdminService) {}

  @Get()
  @ApiOkResponse({ type: JobsPageSchema })
  @ApiErrors('VALIDATION_FAILED')
  listJobs(@Query() query: ListJobsQueryDto): Promise<JobsPageView> {
    return this.jobs.listJobs(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: JobSchema })
  @ApiErrors('JOB_NOT_FOUND')
  getJob(@Param('id') id: string): Promise<JobView> {
    return this.jobs.getJob(id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOkResponse({ type: JobSchema })
  @ApiErrors('JOB_NOT_FOUND')
  cancelJob(@Audited() audit: AuditContext, @Param('id') id: string): Promise<JobView> {
    return this.jobs.cancelJob(id, audit);
  }
}
