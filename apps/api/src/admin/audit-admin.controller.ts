import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import type { AuditPageView } from '@lfs-depot/contracts';

import { AdminGuard } from '../auth/admin.guard.js';
import { ApiErrors } from '../http/api-errors.decorator.js';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '../http/openapi.decorator.js';
import { AuditQueryDto } from './admin.dto.js';
import { AuditAdminService } from './audit-admin.service.js';
import { AuditPageSchema } from './admin.views.js';

/** Who changed what, when, from where: admin changes, force-unlocks, object deletions, GC. */
@ApiTags('audit')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('api/v1/audit')
export class AuditAdminController {
  constructor(private readonly audit: AuditAdminService) {}

  @Get()
  @ApiOkResponse({ type: AuditPageSchema, description: 'Newest first' })
  @ApiErrors('VALIDATION_FAILED')
  listEvents(@Query() query: AuditQueryDto): Promise<AuditPageView> {
    return this.audit.listEvents(query);
  }
}
