import { Controller, Delete, Get, HttpCode, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiParam, ApiTags } from '@nestjs/swagger';
import type { ProjectObjectsPageView } from '@lfs-depot/contracts';

import { AdminGuard } from '../auth/admin.guard.js';
import { ListProjectObjectsQueryDto } from './admin.dto.js';
import { ProjectObjectsAdminService } from './project-objects-admin.service.js';

/** A project's LFS objects: `group%2Fname/objects[/{oid}]` (the path travels URL-encoded as one segment). */
@ApiTags('projects')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('api/v1/projects/:path/objects')
export class ProjectObjectsAdminController {
  constructor(private readonly projectObjects: ProjectObjectsAdminService) {}

  @Get()
  @ApiParam({ name: 'path', description: 'URL-encoded project path, e.g. group%2Fname' })
  listProjectObjects(
    @Param('path') path: string,
    @Query() query: ListProjectObjectsQueryDto,
  ): Promise<ProjectObjectsPageView> {
    return this.projectObjects.listProjectObjects(path, query);
  }

  @Delete(':oid')
  @HttpCode(204)
  @ApiParam({ name: 'path', description: 'URL-encoded project path, e.g. group%2Fname' })
  unlinkProjectObject(@Param('path') path: string, @Param('oid') oid: string): Promise<void> {
    return this.projectObjects.unlinkProjectObject(path, oid);
  }
}
