import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { JobsPageView, JobView } from '@lfs-depot/contracts';

import { AdminGuard } from '../auth/admin.guard.js';
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
  listJobs(@Query() query: ListJobsQueryDto): Promise<JobsPageView> {
    return this.jobs.listJobs(query);
  }

  @Get(':id')
  getJob(@Param('id') id: string): Promise<JobView> {
    return this.jobs.getJob(id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancelJob(@Param('id') id: string): Promise<JobView> {
    return this.jobs.cancelJob(id);
  }
}
