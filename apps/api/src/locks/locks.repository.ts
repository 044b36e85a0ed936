import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

import type { Transaction } from '../database/transaction.js';

/** A lock with its owner's name, as every lock response needs it. */
export interface LockRecord {
  id: string;
  path: string;
  lockedAt: Date;
  ownerId: string;
  ownerName: string;
}

export interface LockFilter {
  path: string | null;
  id: string | null;
  /** Only locks with a greater id (cursor paging, ids ascending). */
  afterId: string | null;
  limit: number;
  /** Only locks held by the user of this name. */
  ownerName?: string | null;
}

interface LockRow {
  id: string;
  path: string;
  created_at: Date;
  user_id: string;
  username: string;
}

function toLockRecord(row: LockRow): LockRecord {
  return {
    id: row.id,
    path: row.path,
    lockedAt: row.created_at,
    ownerId: row.user_id,
    ownerName: row.username,
  };
}

const LOCK_COLUMNS = 'l.id, l.path, l.created_at, l.user_id, u.username';

/** Reads and writes `lfs_file_locks`; every method but createLock (a short transaction) is one statement. */
@Injectable()
export class LocksRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Locks `path` for the user; undefined when the path is already locked (the unique (project_id, path) index
   * decides, so concurrent creates yield exactly one lock), when the project holds `maxLocks` locks already, or when
   * the user no longer exists.
   */
  async createLock(
    projectId: string,
    path: string,
    userId: string,
    refName: string | null,
    maxLocks: number,
  ): Promise<LockRecord | undefined> {
    return this.dataSource.transaction(async (manager) => {
      // Creates in one project take turns, so that two cannot both count room for one more lock: the insert below
      // is a new statement, whose snapshot sees what the previous holder committed. NO KEY UPDATE leaves the row's
      // KEY SHARE locks (foreign keys to the project, e.g. object links) unblocked.
      await manager.query('SELECT 1 FROM projects WHERE id = $1 FOR NO KEY UPDATE', [projectId]);
      const rows = await manager.query<LockRow[]>(
        `WITH inserted AS (
           INSERT INTO lfs_file_locks (project_id, path, user_id, ref_name)
           SELECT $1::bigint, $2::text, u.id, $4::text FROM users u
            WHERE u.id = $3::bigint
              AND (SELECT count(*) FROM lfs_file_locks WHERE project_id = $1::bigint) < $5::bigint
           ON CONFLICT (project_id, path) DO NOTHING
           RETURNING id, path, created_at, user_id
         )
         SELECT ${LOCK_COLUMNS} FROM inserted l JOIN users u ON u.id = l.user_id`,
        [projectId, path, userId, refName, maxLocks],
      );
      return rows[0] ? toLockRecord(rows[0]) : undefined;
    });
  }

  /** How many locks the project holds. */
  async countLocks(projectId: string): Promise<number> {
    const [row] = await this.dataSource.query<{ count: number }[]>(
      'SELECT count(*)::int AS count FROM lfs_file_locks WHERE project_id = $1',
      [projectId],
    );
    return row?.count ?? 0;
  }

  /**
   * The lock on `path`. Must run as its own statement after a conflicting insert: a statement sees only rows
   * committed before it started, so reading in the insert's statement could miss the winner of a race.
   */
  findLockByPath(projectId: string, path: string): Promise<LockRecord | undefined> {
    return this.findOneLock(projectId, 'path', path);
  }

  findLock(projectId: string, id: string): Promise<LockRecord | undefined> {
    return this.findOneLock(projectId, 'id', id);
  }

  private async findOneLock(
    projectId: string,
    column: 'path' | 'id',
    value: string,
  ): Promise<LockRecord | undefined> {
    const rows = await this.dataSource.query<LockRow[]>(
      `SELECT ${LOCK_COLUMNS} FROM lfs_file_locks l JOIN users u ON u.id = l.user_id
        WHERE l.project_id = $1 AND l.${column} = $2`,
      [projectId, value],
    );
    return rows[0] ? toLockRecord(rows[0]) : undefined;
  }

  /** The project's locks matching the filter, ids ascending, at most `limit` of them. */
  async findLocks(projectId: string, filter: LockFilter): Promise<LockRecord[]> {
    const rows = await this.dataSource.query<LockRow[]>(
      `SELECT ${LOCK_COLUMNS} FROM lfs_file_locks l JOIN users u ON u.id = l.user_id
        WHERE l.project_id = $1
          AND ($2::text IS NULL OR l.path = $2::text)
          AND ($3::bigint IS NULL OR l.id = $3::bigint)
          AND ($4::bigint IS NULL OR l.id > $4::bigint)
          AND ($6::text IS NULL OR u.username = $6::text)
        ORDER BY l.id
        LIMIT $5`,
      [projectId, filter.path, filter.id, filter.afterId, filter.limit, filter.ownerName ?? null],
    );
    return rows.map(toLockRecord);
  }

  /** Locks of the project on any of `paths` held by someone other than `userId` (the push check's question). */
  async findLocksHeldByOthers(
    projectId: string,
    userId: string,
    paths: readonly string[],
  ): Promise<LockRecord[]> {
    if (paths.length === 0) {
      return [];
    }
    const rows = await this.dataSource.query<LockRow[]>(
      `SELECT ${LOCK_COLUMNS} FROM lfs_file_locks l JOIN users u ON u.id = l.user_id
        WHERE l.project_id = $1 AND l.user_id <> $2 AND l.path = ANY($3::text[])`,
      [projectId, userId, paths],
    );
    return rows.map(toLockRecord);
  }

  /**
   * Deletes the lock and returns it; with `ownerId`, only when that user still owns it. Undefined when nothing
   * was deleted (already unlocked, possibly by a concurrent request).
   */
  async deleteLock(
    projectId: string,
    id: string,
    ownerId: string | null,
    tx?: Transaction,
  ): Promise<LockRecord | undefined> {
    const rows = await (tx?.manager ?? this.dataSource).query<LockRow[]>(
      `WITH deleted AS (
         DELETE FROM lfs_file_locks
          WHERE project_id = $1 AND id = $2 AND ($3::bigint IS NULL OR user_id = $3::bigint)
         RETURNING id, path, created_at, user_id
       )
       SELECT ${LOCK_COLUMNS} FROM deleted l JOIN users u ON u.id = l.user_id`,
      [projectId, id, ownerId],
    );
    return rows[0] ? toLockRecord(rows[0]) : undefined;
  }
}
