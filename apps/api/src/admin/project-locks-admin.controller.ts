import { Controller, Delete, Get, Param, Query, UseGuards } from '@nestjs/common';
import type { AdminLockPageView, AdminUnlockView } from '@lfs-depot/contracts';

import { Audited } from '../audit/audit-context.decorator.js';
import type { AuditContext } from '../audit/audit-context.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { ApiErrors } from '../http/api-errors.decorator.js';
import { ApiBearerAuth, ApiOkResponse, ApiParam, ApiTags } from '../http/openapi.decorator.js';
import { ListLocksQueryDto } from './admin.dto.js';
import { AdminLockPageSchema, AdminUnlockSchema } from './admin.views.js';
import { ProjectLocksAdminService } from './project-locks-admin.service.js';

/** A project's file locks: `group%2Fname/locks[/{id}]` (the path travels URL-encoded as one segment). */
@ApiTags('projects')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@ApiParam({ name: 'path', description: 'URL-encoded project path, e.g. group%2Fname' })
@Controller('api/v1/projects/:path/locks')
export class ProjectLocksAdminController {
  constructor(private readonly projectLocks: ProjectLocksAdminService) {}

  @Get()
  @ApiOkResponse({ type: AdminLockPageSchema })
  @ApiErrors('PROJECT_NOT_FOUND', 'VALIDATION_FAILED')
  listLocks(@Param('path') path: string, @Query() query: ListLocksQueryDto): Promise<AdminLockPageView> {
    return this.projectLocks.listLocks(path, query);
  }

  @Delete(':id')
  @ApiOkResponse({ type: AdminUnlockSchema, description: 'The lock removed, whoever held it (audited)' })
  @ApiErrors('PROJECT_NOT_FOUND', 'LOCK_NOT_FOUND')
  forceUnlock(
    @Audited() audit: AuditContext,
    @Param('path') path: string,
    @Param('id') id: string,
  ): Promise<AdminUnlockView> {
    return this.projectLocks.forceUnlock(audit, path, id);
  }
}
