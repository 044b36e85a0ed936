import { Injectable } from '@nestjs/common';
import type { Role, Visibility } from '@lfs-depot/contracts';

import { AccessChangingRepository } from '../database/access-changing-repository.js';
import { parseInt8 } from '../database/bigint.js';
import { likePrefix } from '../database/like-prefix.js';
import { isStorableText } from '../database/storable-text.js';
import { inTransaction } from '../database/transaction.js';
import type { Transaction } from '../database/transaction.js';
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

/** A project with its usage, as the project listing shows it. */
export interface ProjectWithStatistics {
  project: Project;
  statistics: ProjectStatisticsView;
}

interface ProjectRow {
  id: string;
  path: string;
  visibility: Visibility;
  quota_bytes: string | null;
  created_at: Date;
}

function toProject(row: ProjectRow): Project {
  return Object.assign(new Project(), {
    id: row.id,
    path: row.path,
    visibility: row.visibility,
    quotaBytes: row.quota_bytes === null ? null : parseInt8(row.quota_bytes),
    createdAt: row.created_at,
  });
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
export class ProjectsRepository extends AccessChangingRepository {
  /** Creates the project and its zeroed statistics row together; undefined when the path is taken. */
  createProject(
    fields: { path: string; visibility: Visibility; quotaBytes: number | null },
    tx?: Transaction,
  ): Promise<Project | undefined> {
    return inTransaction(this.dataSource, tx, async ({ manager }) => {
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
    tx?: Transaction,
  ): Promise<Project | null> {
    if (Object.keys(changes).length > 0) {
      await this.db(tx).getRepository(Project).update({ id }, changes);
      await this.changed(tx);
    }
    return this.db(tx).getRepository(Project).findOneBy({ id });
  }

  /** Deletes the project; memberships, object links, statistics and locks go with it (ON DELETE CASCADE). */
  async deleteProject(id: string, tx?: Transaction): Promise<boolean> {
    const result = await this.db(tx).getRepository(Project).delete({ id });
    await this.changed(tx);
    return (result.affected ?? 0) > 0;
  }

  /** Gives the user `role` in the project; returns the role they had before (null when they were no member). */
  async setMember(projectId: string, userId: string, role: Role, tx?: Transaction): Promise<Role | null> {
    const rows = await this.db(tx).query<{ previous: Role | null }[]>(
      `WITH previous AS (SELECT role FROM project_members WHERE project_id = $1 AND user_id = $2)
       INSERT INTO project_members (project_id, user_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (project_id, user_id) DO UPDATE SET role = EXCLUDED.role
       RETURNING (SELECT role FROM previous) AS previous`,
      [projectId, userId, role],
    );
    await this.changed(tx);
    return rows[0]?.previous ?? null;
  }

  async removeMember(projectId: string, userId: string, tx?: Transaction): Promise<boolean> {
    const result = await this.db(tx).getRepository(ProjectMember).delete({ projectId, userId });
    await this.changed(tx);
    return (result.affected ?? 0) > 0;
  }

  /** Projects in path order after `afterPath`, at most `limit`, with their statistics, optionally by path prefix. */
  async listProjects(filter: {
    prefix?: string;
    visibility?: Visibility;
    afterPath?: string;
    limit: number;
  }): Promise<ProjectWithStatistics[]> {
    const rows = await this.dataSource.query<
      (ProjectRow & { lfs_objects_count: string | null; lfs_objects_size: string | null })[]
    >(
      `SELECT p.id, p.path, p.visibility, p.quota_bytes, p.created_at, s.lfs_objects_count, s.lfs_objects_size
         FROM projects p LEFT JOIN project_statistics s ON s.project_id = p.id
        WHERE ($1::text IS NULL OR p.path LIKE $1::text ESCAPE '\\')
          AND ($2::text IS NULL OR p.visibility = $2::text)
          AND ($3::text IS NULL OR p.path COLLATE "C" > $3::text COLLATE "C")
        ORDER BY p.path COLLATE "C"
        LIMIT $4`,
      [
        filter.prefix === undefined ? null : likePrefix(filter.prefix),
        filter.visibility ?? null,
        filter.afterPath ?? null,
        filter.limit,
      ],
    );
    return rows.map((row) => ({
      project: toProject(row),
      statistics: {
        lfsObjectsCount: row.lfs_objects_count === null ? 0 : parseInt8(row.lfs_objects_count),
        lfsObjectsSize: row.lfs_objects_size === null ? 0 : parseInt8(row.lfs_objects_size),
      },
    }));
  }

  /** The project's members in username order after `afterUsername`, at most `limit`, optionally of one role. */
  async listMembersPage(
    projectId: string,
    filter: { role?: Role; afterUsername?: string; limit: number },
  ): Promise<MemberView[]> {
    return await this.dataSource.query<MemberView[]>(
      `SELECT u.username, m.role FROM project_members m JOIN users u ON u.id = m.user_id
        WHERE m.project_id = $1
          AND ($2::text IS NULL OR m.role::text = $2::text)
          AND ($3::text IS NULL OR u.username COLLATE "C" > $3::text COLLATE "C")
        ORDER BY u.username COLLATE "C"
        LIMIT $4`,
      [projectId, filter.role ?? null, filter.afterUsername ?? null, filter.limit],
    );
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
    return { project: toProject(row), role: row.role };
  }

  async getStatistics(projectId: string): Promise<ProjectStatisticsView> {
    const statistics = await this.dataSource.getRepository(ProjectStatistics).findOneBy({ projectId });
    return {
      lfsObjectsCount: statistics?.lfsObjectsCount ?? 0,
      lfsObjectsSize: statistics?.lfsObjectsSize ?? 0,
    };
  }
}
