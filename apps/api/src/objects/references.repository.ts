import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { parseInt8 } from '../database/bigint.js';

/** One LFS pointer a project's repository references. */
export interface ReferencedObject {
  oid: string;
  size: number;
}

/** A project's reference snapshot compared with what the project links. */
export interface ReferencesSummary {
  takenAt: Date;
  /** Distinct (oid, size) pairs in the snapshot. */
  referenced: number;
  /** Objects the project links that the snapshot does not reference: what GC phase 1 may unlink. */
  linkedUnreferenced: number;
  linkedUnreferencedSize: number;
  /** Pointers the snapshot references that the project does not link (never uploaded, or lost). */
  referencedMissing: number;
}

/** Rows sent to the staging table per INSERT: large enough to be fast, small enough to hold. */
const STAGING_BATCH = 5000;

/**
 * Each project's reference snapshot: the set of LFS pointers reachable from all refs of its repository, as told by
 * PUT …/references. Replaced whole and atomically; garbage collection reads it.
 */
@Injectable()
export class ReferencesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Streams `references` into a session-private staging table, then in one transaction replaces the project's
   * snapshot with its distinct rows (taken at `takenAt`). Readers (and GC) see the old snapshot or the new one,
   * never a part. Memory is one batch of rows, whatever the count. A failure while reading (a bad line, a client
   * gone) leaves the old snapshot as it was.
   */
  async replaceSnapshot(
    projectId: string,
    takenAt: Date,
    references: AsyncIterable<ReferencedObject>,
  ): Promise<ReferencesSummary> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    const staging = `reference_staging_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e9)}`;
    try {
      await runner.query(`CREATE TEMP TABLE ${staging} (oid char(64) NOT NULL, size bigint NOT NULL)`);
      let oids: string[] = [];
      let sizes: number[] = [];
      const flush = async (): Promise<void> => {
        if (oids.length > 0) {
          await runner.query(
            `INSERT INTO ${staging} (oid, size) SELECT * FROM unnest($1::char(64)[], $2::bigint[])`,
            [oids, sizes],
          );
          oids = [];
          sizes = [];
        }
      };
      for await (const reference of references) {
        oids.push(reference.oid);
        sizes.push(reference.size);
        if (oids.length >= STAGING_BATCH) {
          await flush();
        }
      }
      await flush();
      await runner.startTransaction();
      try {
        // The upsert locks the snapshot row: two replacements of one project's snapshot take turns.
        await runner.query(
          `INSERT INTO project_reference_snapshots (project_id, referenced_count, taken_at) VALUES ($1, 0, $2)
           ON CONFLICT (project_id) DO UPDATE SET taken_at = EXCLUDED.taken_at`,
          [projectId, takenAt],
        );
        await runner.query(`DELETE FROM project_references WHERE project_id = $1`, [projectId]);
        await runner.query(
          `INSERT INTO project_references (project_id, oid, size)
           SELECT DISTINCT $1::bigint, oid, size FROM ${staging}`,
          [projectId],
        );
        await runner.query(
          `UPDATE project_reference_snapshots
              SET referenced_count = (SELECT count(*) FROM project_references WHERE project_id = $1)
            WHERE project_id = $1`,
          [projectId],
        );
        await runner.commitTransaction();
      } catch (error) {
        await runner.rollbackTransaction();
        throw error;
      }
    } finally {
      await runner.query(`DROP TABLE IF EXISTS ${staging}`).catch(() => undefined);
      await runner.release();
    }
    const summary = await this.summarize(projectId);
    if (!summary) {
      throw new Error('The reference snapshot vanished after it was written (project deleted meanwhile?)');
    }
    return summary;
  }

  /** Projects that have a reference snapshot (only `projectId`, when given), in id order: GC phase 1's projects. */
  async findProjectsWithSnapshot(projectId?: string): Promise<{ id: string; path: string }[]> {
    return this.dataSource.query<{ id: string; path: string }[]>(
      `SELECT p.id, p.path FROM projects p JOIN project_reference_snapshots s ON s.project_id = p.id
        WHERE ($1::bigint IS NULL OR p.id = $1::bigint) ORDER BY p.id`,
      [projectId ?? null],
    );
  }

  /** The project's snapshot compared with its links, or undefined when it has never been given one. */
  async summarize(projectId: string): Promise<ReferencesSummary | undefined> {
    const rows = await this.dataSource.query<
      {
        taken_at: Date;
        referenced: string;
        linked_unreferenced: string;
        linked_unreferenced_size: string;
        referenced_missing: string;
      }[]
    >(
      `SELECT s.taken_at, s.referenced_count AS referenced,
              (SELECT count(*) FROM lfs_objects_projects l JOIN lfs_objects o ON o.id = l.lfs_object_id
                WHERE l.project_id = s.project_id
                  AND NOT EXISTS (SELECT 1 FROM project_references r
                                   WHERE r.project_id = s.project_id AND r.oid = o.oid AND r.size = o.size))
                AS linked_unreferenced,
              (SELECT coalesce(sum(o.size), 0) FROM lfs_objects_projects l JOIN lfs_objects o ON o.id = l.lfs_object_id
                WHERE l.project_id = s.project_id
                  AND NOT EXISTS (SELECT 1 FROM project_references r
                                   WHERE r.project_id = s.project_id AND r.oid = o.oid AND r.size = o.size))
                AS linked_unreferenced_size,
              (SELECT count(*) FROM project_references r
                WHERE r.project_id = s.project_id
                  AND NOT EXISTS (SELECT 1 FROM lfs_objects_projects l JOIN lfs_objects o ON o.id = l.lfs_object_id
                                   WHERE l.project_id = s.project_id AND o.oid = r.oid AND o.size = r.size))
                AS referenced_missing
         FROM project_reference_snapshots s
        WHERE s.project_id = $1`,
      [projectId],
    );
    const row = rows[0];
    if (!row) {
      return undefined;
    }
    return {
      takenAt: row.taken_at,
      referenced: parseInt8(row.referenced),
      linkedUnreferenced: parseInt8(row.linked_unreferenced),
      linkedUnreferencedSize: parseInt8(row.linked_unreferenced_size),
      referencedMissing: parseInt8(row.referenced_missing),
    };
  }
}
