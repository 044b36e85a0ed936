import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiParam, ApiTags } from '@nestjs/swagger';
import type { MembershipView, ProjectDetailsView, ProjectView, StatisticsView } from '@lfs-depot/contracts';

import { AdminGuard } from '../auth/admin.guard.js';
import { BODY_LIMITS } from '../http/json-body.js';
import { JsonBody } from '../http/json-body.interceptor.js';
import { CreateProjectDto, SetMemberDto, UpdateProjectDto } from './admin.dto.js';
import { ProjectsAdminService } from './projects-admin.service.js';

/** Project paths contain slashes, so they travel URL-encoded as one segment: `group%2Fsub%2Fname`. */
@ApiTags('projects')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@JsonBody(BODY_LIMITS.admin)
@Controller('api/v1/projects')
export class ProjectsAdminController {
  constructor(private readonly projects: ProjectsAdminService) {}

  @Post()
  createProject(@Body() body: CreateProjectDto): Promise<ProjectView> {
    return this.projects.createProject(body);
  }

  @Get(':path')
  @ApiParam({ name: 'path', description: 'URL-encoded project path, e.g. group%2Fname' })
  getProject(@Param('path') path: string): Promise<ProjectDetailsView> {
    return this.projects.getProject(path);
  }

  @Patch(':path')
  updateProject(@Param('path') path: string, @Body() body: UpdateProjectDto): Promise<ProjectView> {
    return this.projects.updateProject(path, body);
  }

  @Delete(':path')
  @HttpCode(204)
  deleteProject(@Param('path') path: string): Promise<void> {
    return this.projects.deleteProject(path);
  }

  @Put(':path/members/:username')
  setMember(
    @Param('path') path: string,
    @Param('username') username: string,
    @Body() body: SetMemberDto,
  ): Promise<MembershipView> {
    return this.projects.setMember(path, username, body.role);
  }

  @Delete(':path/members/:username')
  @HttpCode(204)
  removeMember(@Param('path') path: string, @Param('username') username: string): Promise<void> {
    return this.projects.removeMember(path, username);
  }

  @Get(':path/statistics')
  getStatistics(@Param('path') path: string): Promise<StatisticsView> {
    return this.projects.getStatistics(path);
  }
}
