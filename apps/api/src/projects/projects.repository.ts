import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Role, Visibility } from '@lfs-depot/contracts';

import { AccessCache } from '../cache/access-cache.js';
import { parseInt8 } from '../database/bigint.js';
import { isStorableText } from '../database/storable-text.js';
import { ProjectMember } from './project-member.entity.js';
import { ProjectStatistics } from './project-statistics.entity.js';
import { Project } from './project.entity.js';

export interface ProjectStatisticsView {
  lfsObjectsCount: number;
  lfsObjectsSize: number;
}

export interface MemberView {
  username: string;
  role: Role;
}

interface ProjectWithRoleRow {
  id: string;
  path: string;
  visibility: Visibility;
  quota_bytes: string | null;
  created_at: Date;
  role: Role | null;
}

/**
 * Projects, memberships and statistics. Changes that could make a remembered role wrong (visibility, quota,
 * deletion, membership) empty the AccessCache; inserts need not, as nothing absent is remembered.
 */
@Injectable()
export class ProjectsRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly accessCache: AccessCache,
  ) {}

  /** Creates the project and its zeroed statistics row together; undefined when the path is taken. */
  createProject(fields: {
    path: string;
    visibility: Visibility;
    quotaBytes: number | null;
  }): Promise<Project | undefined> {
    return this.dataSource.transaction(async (manager) => {
      const inserted = await manager.query<{ id: string }[]>(
        `INSERT INTO projects (path, visibility, quota_bytes) VALUES ($1, $2, $3)
         ON CONFLICT (path) DO NOTHING RETURNING id`,
        [fields.path, fields.visibility, fields.quotaBytes],
      );
      const id = inserted[0]?.id;
      if (!id) {
        return undefined;
      }
      await manager.insert(ProjectStatistics, { projectId: id, lfsObjectsCount: 0, lfsObjectsSize: 0 });
      return manager.findOneByOrFail(Project, { id });
    });
  }

  findProjectById(id: string): Promise<Project | null> {
    return this.dataSource.getRepository(Project).findOneBy({ id });
  }

  findProjectByPath(path: string): Promise<Project | null> {
    if (!isStorableText(path)) {
      return Promise.resolve(null);
    }
    return this.dataSource.getRepository(Project).findOneBy({ path });
  }

  async updateProject(
    id: string,
    changes: Partial<{ visibility: Visibility; quotaBytes: number | null }>,
  ): Promise<Project | null> {
    if (Object.keys(changes).length > 0) {
      await this.dataSource.getRepository(Project).update({ id }, changes);
      await this.accessCache.invalidate();
    }
    return this.dataSource.getRepository(Project).findOneBy({ id });
  }

  /** Deletes the project; memberships, object links, statistics and locks go with it (ON DELETE CASCADE). */
  async deleteProject(id: string): Promise<boolean> {
    const result = await this.dataSource.getRepository(Project).delete({ id });
    await this.accessCache.invalidate();
    return (result.affected ?? 0) > 0;
  }

  async setMember(projectId: string, userId: string, role: Role): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO project_members (project_id, user_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (project_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
      [projectId, userId, role],
    );
    await this.accessCache.invalidate();
  }

  async removeMember(projectId: string, userId: string): Promise<boolean> {
    const result = await this.dataSource.getRepository(ProjectMember).delete({ projectId, userId });
    await this.accessCache.invalidate();
    return (result.affected ?? 0) > 0;
  }

  async listMembers(projectId: string): Promise<MemberView[]> {
    return await this.dataSource.query<MemberView[]>(
      `SELECT u.username, m.role FROM project_members m JOIN users u ON u.id = m.user_id
        WHERE m.project_id = $1 ORDER BY u.username`,
      [projectId],
    );
  }

  /** The project and the user's role in it (null role when not a member), in one query. */
  async findProjectWithRole(
    path: string,
    userId: string | null,
  ): Promise<{ project: Project; role: Role | null } | undefined> {
    if (!isStorableText(path)) {
      return undefined;
    }
    const rows = await this.dataSource.query<ProjectWithRoleRow[]>(
      `SELECT p.id, p.path, p.visibility, p.quota_bytes, p.created_at, m.role
         FROM projects p
         LEFT JOIN project_members m ON m.project_id = p.id AND m.user_id = $2
        WHERE p.path = $1`,
      [path, userId],
    );
    const row = rows[0];
    if (!row) {
      return undefined;
    }
    const project = Object.assign(new Project(), {
      id: row.id,
      path: row.path,
      visibility: row.visibility,
      quotaBytes: row.quota_bytes === null ? null : parseInt8(row.quota_bytes),
      createdAt: row.created_at,
    });
    return { project, role: row.role };
  }

  async getStatistics(projectId: string): Promise<ProjectStatisticsView> {
    const statistics = await this.dataSource.getRepository(ProjectStatistics).findOneBy({ projectId });
    return {
      lfsObjectsCount: statistics?.lfsObjectsCount ?? 0,
      lfsObjectsSize: statistics?.lfsObjectsSize ?? 0,
    };
  }
}
