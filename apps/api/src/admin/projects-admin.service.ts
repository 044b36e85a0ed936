import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';
import type {
  MembershipView,
  ProjectDetailsView,
  ProjectView,
  Role,
  StatisticsView,
  Visibility,
} from '@lfs-depot/contracts';

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

@Injectable()
export class ProjectsAdminService {
  constructor(
    private readonly projects: ProjectsRepository,
    private readonly users: UsersRepository,
  ) {}

  async createProject(input: {
    path: string;
    visibility?: Visibility;
    quota_bytes?: number | null;
  }): Promise<ProjectView> {
    const project = await this.projects.createProject({
      path: input.path,
      visibility: input.visibility ?? 'private',
      quotaBytes: input.quota_bytes ?? null,
    });
    if (!project) {
      throw new DomainError(ErrorCode.ALREADY_EXISTS, `Project '${input.path}' already exists`);
    }
    return toProjectView(project);
  }

  async getProject(path: string): Promise<ProjectDetailsView> {
    const project = await this.requireProject(path);
    return { ...toProjectView(project), members: await this.projects.listMembers(project.id) };
  }

  async updateProject(
    path: string,
    input: { visibility?: Visibility; quota_bytes?: number | null },
  ): Promise<ProjectView> {
    const project = await this.requireProject(path);
    const updated = await this.projects.updateProject(project.id, {
      ...(input.visibility !== undefined && { visibility: input.visibility }),
      ...(input.quota_bytes !== undefined && { quotaBytes: input.quota_bytes }),
    });
    if (!updated) {
      throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, `Project '${path}' not found`);
    }
    return toProjectView(updated);
  }

  async deleteProject(path: string): Promise<void> {
    const project = await this.requireProject(path);
    await this.projects.deleteProject(project.id);
  }

  async setMember(path: string, username: string, role: Role): Promise<MembershipView> {
    const project = await this.requireProject(path);
    const user = await this.users.findUserByUsername(username);
    if (!user) {
      throw new DomainError(ErrorCode.USER_NOT_FOUND, `User '${username}' not found`);
    }
    await this.projects.setMember(project.id, user.id, role);
    return { project: project.path, username: user.username, role };
  }

  async removeMember(path: string, username: string): Promise<void> {
    const project = await this.requireProject(path);
    const user = await this.users.findUserByUsername(username);
    if (!user || !(await this.projects.removeMember(project.id, user.id))) {
      throw new DomainError(ErrorCode.MEMBER_NOT_FOUND, `'${username}' is not a member of '${path}'`);
    }
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
