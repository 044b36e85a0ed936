import { Injectable } from '@nestjs/common';
import { DEFAULT_PAGE_LIMIT, DomainError, ErrorCode } from '@lfs-depot/contracts';
import type {
  MemberPageView,
  MembershipView,
  ProjectDetailsView,
  ProjectPageView,
  ProjectView,
  Role,
  StatisticsView,
  Visibility,
} from '@lfs-depot/contracts';

import type { AuditContext } from '../audit/audit-context.js';
import { AuditService } from '../audit/audit.service.js';
import { decodeCursor, pageOf } from '../core/page-cursor.js';
import { ObjectsRepository } from '../objects/objects.repository.js';
import type { Project } from '../projects/project.entity.js';
import { ProjectsRepository } from '../projects/projects.repository.js';
import { UsersRepository } from '../users/users.repository.js';

function toProjectView(project: Project): ProjectView {
  return {
    id: project.id,
    path: project.path,
    visibility: project.visibility,
    quota_bytes: project.quotaBytes,
    created_at: project.createdAt.toISOString(),
  };
}

/** Projects and memberships; every change is recorded in the audit trail in its own transaction. */
@Injectable()
export class ProjectsAdminService {
  constructor(
    private readonly projects: ProjectsRepository,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    private readonly objects: ObjectsRepository,
  ) {}

  async createProject(
    context: AuditContext,
    input: { path: string; visibility?: Visibility; quota_bytes?: number | null },
  ): Promise<ProjectView> {
    const fields = {
      path: input.path,
      visibility: input.visibility ?? 'private',
      quotaBytes: input.quota_bytes ?? null,
    };
    return this.audit.transaction(async (tx) => {
      const project = await this.projects.createProject(fields, tx);
      if (!project) {
        throw new DomainError(ErrorCode.ALREADY_EXISTS, `Project '${input.path}' already exists`);
      }
      await this.audit.record(tx, context, {
        action: 'project.create',
        target: { type: 'project', id: project.id, name: project.path },
        project: project.path,
        details: { visibility: project.visibility, quota_bytes: project.quotaBytes },
      });
      return toProjectView(project);
    });
  }

  /** Projects in path order, with their usage and quota. */
  async listProjects(query: {
    prefix?: string;
    visibility?: Visibility;
    limit?: number;
    cursor?: string;
  }): Promise<ProjectPageView> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const rows = await this.projects.listProjects({
      prefix: query.prefix,
      visibility: query.visibility,
      afterPath: query.cursor === undefined ? undefined : decodeCursor('projects', query.cursor),
      limit: limit + 1,
    });
    const page = pageOf('projects', rows, limit, (row) => row.project.path);
    return {
      projects: page.items.map(({ project, statistics }) => ({
        ...toProjectView(project),
        lfs_objects_count: statistics.lfsObjectsCount,
        lfs_objects_size: statistics.lfsObjectsSize,
      })),
      next_cursor: page.next_cursor,
    };
  }

  async getProject(path: string): Promise<ProjectDetailsView> {
    const project = await this.requireProject(path);
    return { ...toProjectView(project), members: await this.projects.listMembers(project.id) };
  }

  async updateProject(
    context: AuditContext,
    path: string,
    input: { visibility?: Visibility; quota_bytes?: number | null },
  ): Promise<ProjectView> {
    const project = await this.requireProject(path);
    const changes = {
      ...(input.visibility !== undefined && { visibility: input.visibility }),
      ...(input.quota_bytes !== undefined && { quotaBytes: input.quota_bytes }),
    };
    return this.audit.transaction(async (tx) => {
      const updated = await this.projects.updateProject(project.id, changes, tx);
      if (!updated) {
        throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, `Project '${path}' not found`);
      }
      await this.audit.record(tx, context, {
        action: 'project.update',
        target: { type: 'project', id: project.id, name: project.path },
        project: project.path,
        // What was asked and what it replaced, so a quota or visibility change can be traced and undone.
        details: {
          ...(input.visibility !== undefined && {
            visibility: input.visibility,
            previous_visibility: project.visibility,
          }),
          ...(input.quota_bytes !== undefined && {
            quota_bytes: input.quota_bytes,
            previous_quota_bytes: project.quotaBytes,
          }),
        },
      });
      return toProjectView(updated);
    });
  }

  async deleteProject(context: AuditContext, path: string): Promise<void> {
    const project = await this.requireProject(path);
    // Unlinked first, so that objects no other project links are purged by garbage collection after its grace.
    await this.objects.unlinkAllProjectObjects(project.id);
    await this.audit.transaction(async (tx) => {
      if (!(await this.projects.deleteProject(project.id, tx))) {
        throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, `Project '${path}' not found`);
      }
      await this.audit.record(tx, context, {
        action: 'project.delete',
        target: { type: 'project', id: project.id, name: project.path },
        project: project.path,
      });
    });
  }

  async listMembers(
    path: string,
    query: { role?: Role; limit?: number; cursor?: string },
  ): Promise<MemberPageView> {
    const project = await this.requireProject(path);
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const rows = await this.projects.listMembersPage(project.id, {
      role: query.role,
      afterUsername: query.cursor === undefined ? undefined : decodeCursor('members', query.cursor),
      limit: limit + 1,
    });
    const page = pageOf('members', rows, limit, (member) => member.username);
    return {
      members: page.items.map((member) => ({ username: member.username, role: member.role })),
      next_cursor: page.next_cursor,
    };
  }

  async setMember(
    context: AuditContext,
    path: string,
    username: string,
    role: Role,
  ): Promise<MembershipView> {
    const project = await this.requireProject(path);
    const user = await this.users.findUserByUsername(username);
    if (!user) {
      throw new DomainError(ErrorCode.USER_NOT_FOUND, `User '${username}' not found`);
    }
    return this.audit.transaction(async (tx) => {
      const previous = await this.projects.setMember(project.id, user.id, role, tx);
      await this.audit.record(tx, context, {
        action: 'member.set',
        target: { type: 'member', id: user.id, name: user.username },
        project: project.path,
        details: { role, previous_role: previous },
      });
      return { project: project.path, username: user.username, role };
    });
  }

  async removeMember(context: AuditContext, path: string, username: string): Promise<void> {
    const project = await this.requireProject(path);
    const user = await this.users.findUserByUsername(username);
    const notMember = new DomainError(
      ErrorCode.MEMBER_NOT_FOUND,
      `'${username}' is not a member of '${path}'`,
    );
    if (!user) {
      throw notMember;
    }
    await this.audit.transaction(async (tx) => {
      if (!(await this.projects.removeMember(project.id, user.id, tx))) {
        throw notMember;
      }
      await this.audit.record(tx, context, {
        action: 'member.remove',
        target: { type: 'member', id: user.id, name: user.username },
        project: project.path,
      });
    });
  }

  async getStatistics(path: string): Promise<StatisticsView> {
    const project = await this.requireProject(path);
    const statistics = await this.projects.getStatistics(project.id);
    return {
      lfs_objects_count: statistics.lfsObjectsCount,
      lfs_objects_size: statistics.lfsObjectsSize,
      quota_bytes: project.quotaBytes,
    };
  }

  private async requireProject(path: string): Promise<Project> {
    const project = await this.projects.findProjectByPath(path);
    if (!project) {
      throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, `Project '${path}' not found`);
    }
    return project;
  }
}
