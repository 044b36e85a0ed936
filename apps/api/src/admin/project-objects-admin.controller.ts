import { Controller, Delete, Get, HttpCode, Param, Query, UseGuards } from '@nestjs/common';
import type { ObjectDeletionView, ProjectObjectsPageView } from '@lfs-depot/contracts';

import { Audited } from '../audit/audit-context.decorator.js';
import type { AuditContext } from '../audit/audit-context.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { ApiErrors } from '../http/api-errors.decorator.js';
import { ApiBearerAuth, ApiOkResponse, ApiParam, ApiTags } from '../http/openapi.decorator.js';
import { ListProjectObjectsQueryDto } from './admin.dto.js';
import { ObjectDeletionSchema, ProjectObjectsPageSchema } from './admin.views.js';
import { ObjectDeletionService } from './object-deletion.service.js';
import { ProjectObjectsAdminService } from './project-objects-admin.service.js';

/** A project's LFS objects: `group%2Fname/objects[/{oid}]` (the path travels URL-encoded as one segment). */
@ApiTags('projects')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@ApiParam({ name: 'path', description: 'URL-encoded project path, e.g. group%2Fname' })
@Controller('api/v1/projects/:path/objects')
export class ProjectObjectsAdminController {
  constructor(
    private readonly projectObjects: ProjectObjectsAdminService,
    private readonly deletion: ObjectDeletionService,
  ) {}

  @Get()
  @ApiOkResponse({ type: ProjectObjectsPageSchema })
  @ApiErrors('PROJECT_NOT_FOUND', 'VALIDATION_FAILED')
  listProjectObjects(
    @Param('path') path: string,
    @Query() query: ListProjectObjectsQueryDto,
  ): Promise<ProjectObjectsPageView> {
    return this.projectObjects.listProjectObjects(path, query);
  }

  /** Deletion on purpose: unlinks, answers 410 in batch until uploaded again, purges when nothing links it. */
  @Delete(':oid')
  @HttpCode(200)
  @ApiOkResponse({
    type: ObjectDeletionSchema,
    description: 'Unlinked (audited), 410 in batch until uploaded again, purged when nothing links it',
  })
  @ApiErrors('PROJECT_NOT_FOUND', 'OBJECT_NOT_FOUND', 'VALIDATION_FAILED')
  deleteProjectObject(
    @Audited() audit: AuditContext,
    @Param('path') path: string,
    @Param('oid') oid: string,
  ): Promise<ObjectDeletionView> {
    return this.deletion.deleteFromProject(path, oid, audit);
  }
}
