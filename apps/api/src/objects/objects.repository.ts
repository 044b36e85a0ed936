import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode, quotaExceededError } from '@lfs-depot/contracts';
import { DataSource } from 'typeorm';

import { LinkCache } from '../cache/link-cache.js';
import { parseInt8 } from '../database/bigint.js';
import { preparedQuery } from '../database/prepared-query.js';

export interface StoredObject {
  oid: string;
  size: number;
  storageKey: string;
}

export interface LinkResult {
  /** False when the project already linked the object (nothing changed). */
  linked: boolean;
}

export interface ProjectObjectPage {
  objects: (StoredObject & { linkedAt: Date })[];
  nextCursor: string | null;
}

interface ObjectRow {
  oid: string;
  size: string;
  storage_key: string;
}

function toStoredObject(row: ObjectRow): StoredObject {
  return { oid: row.oid, size: parseInt8(row.size), storageKey: row.storage_key };
}

@Injectable()
export class ObjectsRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly linkCache: LinkCache,
  ) {}

  /** Of the given oids, those the project links, with their stored size: one query whatever the count. */
  async findLinkedObjects(projectId: string, oids: readonly string[]): Promise<Map<string, StoredObject>> {
    if (oids.length === 0) {
      return new Map();
    }
    const rows = await this.dataSource.query<ObjectRow[]>(
      `SELECT o.oid, o.size, o.storage_key
         FROM lfs_objects o
         JOIN lfs_objects_projects l ON l.lfs_object_id = o.id AND l.project_id = $1
        WHERE o.oid = ANY($2::char(64)[])`,
      [projectId, oids],
    );
    return new Map(rows.map((row) => [row.oid, toStoredObject(row)]));
  }

  /**
   * Of the given oids, those the project links, with their size: the batch API's one lookup, whatever the count, and
   * none at all for objects the LinkCache remembers.
   */
  findLinkedSizes(projectId: string, oids: readonly string[]): Promise<Map<string, number>> {
    return this.linkCache.linkedSizes(projectId, oids, (missing) =>
      this.queryLinkedSizes(projectId, missing),
    );
  }

  /**
   * The answer is one text row of "oid size" pairs rather than a row per object, which halved what parsing it cost
   * the API; oids are hex and sizes digits, so spaces separate them unambiguously.
   */
  private async queryLinkedSizes(projectId: string, oids: readonly string[]): Promise<Map<string, number>> {
    const sizes = new Map<string, number>();
    if (oids.length === 0) {
      return sizes;
    }
    const rows = await preparedQuery<{ found: string | null }[]>(
      this.dataSource,
      'objects_linked_sizes',
      `SELECT string_agg(o.oid || ' ' || o.size, ' ') AS found
         FROM unnest($2::char(64)[]) AS wanted(oid)
         JOIN lfs_objects o ON o.oid = wanted.oid
         JOIN lfs_objects_projects l ON l.lfs_object_id = o.id AND l.project_id = $1`,
      [projectId, oids],
    );
    const found = rows[0]?.found?.split(' ') ?? [];
    for (let i = 0; i + 1 < found.length; i += 2) {
      sizes.set(found[i], parseInt8(found[i + 1]));
    }
    return sizes;
  }

  /** The stored object with this oid and size, linked or not (used to skip rewriting known bytes). */
  async findObject(oid: string, size: number): Promise<StoredObject | undefined> {
    const rows = await this.dataSource.query<ObjectRow[]>(
      `SELECT oid, size, storage_key FROM lfs_objects WHERE oid = $1 AND size = $2`,
      [oid, size],
    );
    return rows[0] ? toStoredObject(rows[0]) : undefined;
  }

  /** Records verified bytes in lfs_objects (idempotent), whether or not any project links them yet. */
  async recordObject(object: StoredObject): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO lfs_objects (oid, size, storage_key) VALUES ($1, $2, $3) ON CONFLICT (oid, size) DO NOTHING`,
      [object.oid, object.size, object.storageKey],
    );
  }

  /**
   * Records a verified object and links it to the project, with statistics and the quota check in the same
   * transaction. The statistics row is locked first, so concurrent links to one project are serialised and can
   * never overshoot quota_bytes together. Throws QUOTA_EXCEEDED (nothing written) when the link would not fit.
   */
  linkObjectToProject(
    projectId: string,
    object: StoredObject,
    quotaBytes: number | null,
  ): Promise<LinkResult> {
    return this.dataSource.transaction(async (manager) => {
      const statistics = await manager.query<{ lfs_objects_size: string; path: string }[]>(
        `SELECT s.lfs_objects_size, p.path
           FROM project_statistics s JOIN projects p ON p.id = s.project_id
          WHERE s.project_id = $1
            FOR UPDATE OF s`,
        [projectId],
      );
      if (!statistics[0]) {
        throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, 'The project was deleted during the upload');
      }
      const objectRows = await manager.query<{ id: string }[]>(
        `INSERT INTO lfs_objects (oid, size, storage_key) VALUES ($1, $2, $3)
         ON CONFLICT (oid, size) DO UPDATE SET oid = EXCLUDED.oid
         RETURNING id`,
        [object.oid, object.size, object.storageKey],
      );
      const linkRows = await manager.query<unknown[]>(
        `INSERT INTO lfs_objects_projects (lfs_object_id, project_id) VALUES ($1, $2)
         ON CONFLICT DO NOTHING RETURNING lfs_object_id`,
        [objectRows[0]?.id, projectId],
      );
      if (linkRows.length === 0) {
        return { linked: false };
      }
      const used = parseInt8(statistics[0].lfs_objects_size);
      if (quotaBytes !== null && used + object.size > quotaBytes) {
        throw quotaExceededError({
          project: statistics[0].path,
          usedBytes: used,
          quotaBytes,
          requestedBytes: object.size,
        });
      }
      await manager.query(
        `UPDATE project_statistics
            SET lfs_objects_count = lfs_objects_count + 1, lfs_objects_size = lfs_objects_size + $2, updated_at = now()
          WHERE project_id = $1`,
        [projectId, object.size],
      );
      return { linked: true };
    });
  }

  /** Removes the project's link to an object and its share of the statistics, in one transaction. */
  async unlinkObjectFromProject(projectId: string, oid: string): Promise<boolean> {
    const unlinked = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT 1 FROM project_statistics WHERE project_id = $1 FOR UPDATE`, [projectId]);
      const removed = await manager.query<[{ size: string }[], number] | { size: string }[]>(
        `DELETE FROM lfs_objects_projects l USING lfs_objects o
          WHERE l.lfs_object_id = o.id AND l.project_id = $1 AND o.oid = $2
          RETURNING o.size`,
        [projectId, oid],
      );
      // pg returns [rows, count] for DELETE … RETURNING through TypeORM's query(); normalise.
      const rows = Array.isArray(removed[0])
        ? (removed[0] as { size: string }[])
        : (removed as { size: string }[]);
      if (rows.length === 0) {
        return false;
      }
      const size = rows.reduce((sum, row) => sum + parseInt8(row.size), 0);
      await manager.query(
        `UPDATE project_statistics
            SET lfs_objects_count = lfs_objects_count - $2, lfs_objects_size = lfs_objects_size - $3, updated_at = now()
          WHERE project_id = $1`,
        [projectId, rows.length, size],
      );
      return true;
    });
    if (unlinked) {
      // After the commit, so no instance can look the link up again from before the delete and remember it.
      await this.linkCache.invalidate();
    }
    return unlinked;
  }

  /** A page of the project's objects in oid order, after `cursor` (an oid). */
  async listProjectObjects(projectId: string, limit: number, cursor?: string): Promise<ProjectObjectPage> {
    const rows = await this.dataSource.query<(ObjectRow & { created_at: Date })[]>(
      `SELECT o.oid, o.size, o.storage_key, l.created_at
         FROM lfs_objects_projects l JOIN lfs_objects o ON o.id = l.lfs_object_id
        WHERE l.project_id = $1 AND ($2::text IS NULL OR o.oid > $2)
        ORDER BY o.oid
        LIMIT $3`,
      [projectId, cursor ?? null, limit + 1],
    );
    const page = rows.slice(0, limit);
    return {
      objects: page.map((row) => ({ ...toStoredObject(row), linkedAt: row.created_at })),
      nextCursor: rows.length > limit ? (page[page.length - 1]?.oid ?? null) : null,
    };
  }
}
