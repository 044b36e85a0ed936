import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import type { JobView } from '@lfs-depot/contracts';

import { AdminGuard } from '../auth/admin.guard.js';
import { ApiErrors, BODY_ERRORS } from '../http/api-errors.decorator.js';
import { BODY_LIMITS } from '../http/json-body.js';
import { JsonBody } from '../http/json-body.interceptor.js';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags } from '../http/openapi.decorator.js';
import { JobSchema } from '../jobs/jobs.views.js';
import { ScrubService } from './scrub.service.js';

/**
 * `POST /api/v1/scrub` `{sample?, project?, repair?, rate_bytes_per_second?}` → 202 with the queued job (follow it
 * under /api/v1/jobs/{id}; its result is the ScrubReport).
 */
@ApiTags('scrub')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@JsonBody(BODY_LIMITS.admin)
@Controller('api/v1/scrub')
export class ScrubController {
  constructor(private readonly scrub: ScrubService) {}

  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: JobSchema,
    description: 'The queued scrub; follow it at /api/v1/jobs/{id}',
  })
  @ApiErrors('PROJECT_NOT_FOUND', ...BODY_ERRORS)
  startScrub(@Body() body: unknown): Promise<JobView> {
    return this.scrub.startScrub(body);
  }
}
