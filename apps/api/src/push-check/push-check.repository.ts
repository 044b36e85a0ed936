import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { parseInt8 } from '../database/bigint.js';

export interface PushCheckSubjects {
  /** Null when no project has that path. */
  projectId: string | null;
  /** Null when no user has that name. */
  userId: string | null;
}

export interface ForeignLock {
  id: string;
  path: string;
  owner: string;
  lockedAt: Date;
}

interface LockRow {
  id: string;
  path: string;
  owner: string;
  created_at: Date;
}

/** The queries of a push check: each one statement, whatever the number of paths or pointers. */
@Injectable()
export class PushCheckRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The project and the pushing user, looked up together. */
  async findSubjects(projectPath: string, username: string): Promise<PushCheckSubjects> {
    const rows = await this.dataSource.query<{ project_id: string | null; user_id: string | null }[]>(
      `SELECT (SELECT id FROM projects WHERE path = $1) AS project_id,
              (SELECT id FROM users WHERE username = $2) AS user_id`,
      [projectPath, username],
    );
    return { projectId: rows[0]?.project_id ?? null, userId: rows[0]?.user_id ?? null };
  }

  /** Locks of the project on any of `paths` held by someone other than `userId`, with their owner's name. */
  async findLocksHeldByOthers(
    projectId: string,
    userId: string,
    paths: readonly string[],
  ): Promise<ForeignLock[]> {
    if (paths.length === 0) {
      return [];
    }
    const rows = await this.dataSource.query<LockRow[]>(
      `SELECT l.id, l.path, u.username AS owner, l.created_at
         FROM lfs_file_locks l
         JOIN users u ON u.id = l.user_id
        WHERE l.project_id = $1 AND l.user_id <> $2 AND l.path = ANY($3::text[])`,
      [projectId, userId, paths],
    );
    return rows.map((row) => ({ id: row.id, path: row.path, owner: row.owner, lockedAt: row.created_at }));
  }

  /**
   * Of the given oids, the `oid:size` pairs the project links. Exact pairs rather than one size per oid, so a
   * pointer is satisfied only by an object of the size it states.
   */
  async findLinkedPointerKeys(projectId: string, oids: readonly string[]): Promise<Set<string>> {
    if (oids.length === 0) {
      return new Set();
    }
    const rows = await this.dataSource.query<{ oid: string; size: string }[]>(
      `SELECT o.oid, o.size
         FROM lfs_objects o
         JOIN lfs_objects_projects l ON l.lfs_object_id = o.id AND l.project_id = $1
        WHERE o.oid = ANY($2::char(64)[])`,
      [projectId, oids],
    );
    return new Set(rows.map((row) => pointerKey(row.oid, parseInt8(row.size))));
  }
}

/** A pointer's identity in sets and maps, `oid:size` (not a storage key: those come from `objectKey` in the storage lib). */
export function pointerKey(oid: string, size: number): string {
  return `${oid}:${size}`;
}
