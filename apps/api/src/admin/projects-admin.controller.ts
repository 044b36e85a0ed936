import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  UseGuards,
} from '@nestjs/common';
import type {
  MemberPageView,
  MembershipView,
  ProjectDetailsView,
  ProjectPageView,
  ProjectView,
  StatisticsView,
} from '@lfs-depot/contracts';

import { Audited } from '../audit/audit-context.decorator.js';
import type { AuditContext } from '../audit/audit-context.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { ApiErrors, BODY_ERRORS } from '../http/api-errors.decorator.js';
import { BODY_LIMITS } from '../http/json-body.js';
import { JsonBody } from '../http/json-body.interceptor.js';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
} from '../http/openapi.decorator.js';
import {
  CreateProjectDto,
  ListMembersQueryDto,
  ListProjectsQueryDto,
  SetMemberDto,
  UpdateProjectDto,
} from './admin.dto.js';
import {
  MemberPageSchema,
  MembershipSchema,
  ProjectDetailsSchema,
  ProjectPageSchema,
  ProjectSchema,
  StatisticsSchema,
} from './admin.views.js';
import { ProjectsAdminService } from './projects-admin.service.js';

const PATH_PARAM = { name: 'path', description: 'URL-encoded project path, e.g. group%2Fname' } as const;

/** Project paths contain slashes, so they travel URL-encoded as one segment: `group%2Fsub%2Fname`. */
@ApiTags('projects')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@JsonBody(BODY_LIMITS.admin)
@Controller('api/v1/projects')
export class ProjectsAdminController {
  constructor(private readonly projects: ProjectsAdminService) {}

  @Post()
  @ApiCreatedResponse({ type: ProjectSchema })
  @ApiErrors(...BODY_ERRORS, 'ALREADY_EXISTS')
  createProject(@Audited() audit: AuditContext, @Body() body: CreateProjectDto): Promise<ProjectView> {
    return this.projects.createProject(audit, body);
  }

  @Get()
  @ApiOkResponse({ type: ProjectPageSchema, description: 'Paths in order, with usage and quota' })
  @ApiErrors('VALIDATION_FAILED')
  listProjects(@Query() query: ListProjectsQueryDto): Promise<ProjectPageView> {
    return this.projects.listProjects(query);
  }

  @Get(':path')
  @ApiParam(PATH_PARAM)
  @ApiOkResponse({ type: ProjectDetailsSchema })
  @ApiErrors('PROJECT_NOT_FOUND')
  getProject(@Param('path') path: string): Promise<ProjectDetailsView> {
    return this.projects.getProject(path);
  }

  @Patch(':path')
  @ApiParam(PATH_PARAM)
  @ApiOkResponse({ type: ProjectSchema })
  @ApiErrors(...BODY_ERRORS, 'PROJECT_NOT_FOUND')
  updateProject(
    @Audited() audit: AuditContext,
    @Param('path') path: string,
    @Body() body: UpdateProjectDto,
  ): Promise<ProjectView> {
    return this.projects.updateProject(audit, path, body);
  }

  @Delete(':path')
  @HttpCode(204)
  @ApiParam(PATH_PARAM)
  @ApiNoContentResponse({ description: 'Deleted, with its memberships, links, statistics and locks' })
  @ApiErrors('PROJECT_NOT_FOUND')
  deleteProject(@Audited() audit: AuditContext, @Param('path') path: string): Promise<void> {
    return this.projects.deleteProject(audit, path);
  }

  @Get(':path/members')
  @ApiParam(PATH_PARAM)
  @ApiOkResponse({ type: MemberPageSchema, description: 'Usernames in order' })
  @ApiErrors('PROJECT_NOT_FOUND', 'VALIDATION_FAILED')
  listMembers(@Param('path') path: string, @Query() query: ListMembersQueryDto): Promise<MemberPageView> {
    return this.projects.listMembers(path, query);
  }

  @Put(':path/members/:username')
  @ApiParam(PATH_PARAM)
  @ApiOkResponse({ type: MembershipSchema })
  @ApiErrors(...BODY_ERRORS, 'PROJECT_NOT_FOUND', 'USER_NOT_FOUND')
  setMember(
    @Audited() audit: AuditContext,
    @Param('path') path: string,
    @Param('username') username: string,
    @Body() body: SetMemberDto,
  ): Promise<MembershipView> {
    return this.projects.setMember(audit, path, username, body.role);
  }

  @Delete(':path/members/:username')
  @HttpCode(204)
  @ApiParam(PATH_PARAM)
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors('PROJECT_NOT_FOUND', 'MEMBER_NOT_FOUND')
  removeMember(
    @Audited() audit: AuditContext,
    @Param('path') path: string,
    @Param('username') username: string,
  ): Promise<void> {
    return this.projects.removeMember(audit, path, username);
  }

  @Get(':path/statistics')
  @ApiParam(PATH_PARAM)
  @ApiOkResponse({ type: StatisticsSchema })
  @ApiErrors('PROJECT_NOT_FOUND')
  getStatistics(@Param('path') path: string): Promise<StatisticsView> {
    return this.projects.getStatistics(path);
  }
}
