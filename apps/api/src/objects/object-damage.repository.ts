import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { LinkCache } from '../cache/link-cache.js';
import { parseInt8 } from '../database/bigint.js';
import { runInTransaction } from '../database/transaction.js';

/** What scrub's repair found wrong with an object's bytes. */
export type ObjectDamage = 'missing' | 'corrupt';

/** An object row as scrub reads it. */
export interface ScrubbedObject {
  id: string;
  oid: string;
  size: number;
  storageKey: string;
  /** Set when an earlier repair marked it and no upload healed it since. */
  damage: ObjectDamage | null;
  quarantinedAs: string | null;
}

interface ScrubbedRow {
  id: string;
  oid: string;
  size: string;
  storage_key: string;
  damage: ObjectDamage | null;
  quarantined_as: string | null;
}

/** What markDamaged did: the damage it recorded and, for corrupt bytes, where they were moved. */
export interface MarkedDamage {
  damage: ObjectDamage;
  movedTo: string | undefined;
}

/**
 * Scrub's reads and its repair mark on lfs_objects. The mark sits beside the state machine (present → purging →
 * gone): only a `present` row is marked, under its row lock, the lock every link, unlink and purge takes; an upload
 * that wrote the bytes clears it under the same lock (ObjectsRepository.linkObjectToProject).
 */
@Injectable()
export class ObjectDamageRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly linkCache: LinkCache,
  ) {}

  /**
   * A page of `present` rows in id order after `afterId`: all of them, or those `projectId` links. With `sample` below
   * 1, each row is taken with that probability, except rows already marked damaged, which are always reported.
   */
  async findObjectsToScrub(options: {
    afterId: string;
    limit: number;
    projectId: string | null;
    sample: number;
  }): Promise<{ objects: ScrubbedObject[]; lastId: string | null }> {
    // The page is cut before sampling, so that a small sample still walks the table in bounded pages.
    const rows = await this.dataSource.query<(ScrubbedRow & { taken: boolean })[]>(
      `SELECT o.id, o.oid, o.size, o.storage_key, o.damage, o.quarantined_as,
              (o.damaged_at IS NOT NULL OR $4::float8 >= 1 OR random() < $4::float8) AS taken
         FROM lfs_objects o
        WHERE o.id > $1 AND o.state = 'present'
          AND ($3::bigint IS NULL
               OR EXISTS (SELECT 1 FROM lfs_objects_projects l WHERE l.lfs_object_id = o.id AND l.project_id = $3))
        ORDER BY o.id
        LIMIT $2`,
      [options.afterId, options.limit, options.projectId, options.sample],
    );
    return {
      objects: rows
        .filter((row) => row.taken)
        .map((row) => ({
          id: row.id,
          oid: row.oid,
          size: parseInt8(row.size),
          storageKey: row.storage_key,
          damage: row.damage,
          quarantinedAs: row.quarantined_as,
        })),
      lastId: rows.length > 0 ? (rows[rows.length - 1]?.id ?? null) : null,
    };
  }

  /**
   * Of the given storage keys, those some object row names (whatever its state) or a leftover does (collected by the
   * next garbage collection): the others are orphans.
   */
  async findKnownKeys(keys: readonly string[]): Promise<Set<string>> {
    if (keys.length === 0) {
      return new Set();
    }
    const rows = await this.dataSource.query<{ storage_key: string }[]>(
      `SELECT storage_key FROM lfs_objects WHERE storage_key = ANY($1::text[])
       UNION SELECT storage_key FROM lfs_object_leftovers WHERE storage_key = ANY($1::text[])`,
      [keys],
    );
    return new Set(rows.map((row) => row.storage_key));
  }

  private readonly invalidateLinks = (): Promise<void> => this.linkCache.invalidate();

  /**
   * Marks the row damaged, under its lock, if it is still `present`, unmarked and `recheck` (run under the lock, so no
   * upload's link or purge of it runs meanwhile) still finds its bytes missing or corrupt; corrupt bytes are moved
   * aside by `quarantine` before the mark commits. Undefined when it was left alone (healed, purged, gone, marked).
   * The link cache is invalidated after the commit, so that no instance keeps answering "already present".
   */
  markDamaged(
    id: string,
    recheck: (storageKey: string) => Promise<ObjectDamage | 'intact'>,
    quarantine: (storageKey: string) => Promise<string | undefined>,
  ): Promise<MarkedDamage | undefined> {
    return runInTransaction(this.dataSource, async (tx) => {
      const { manager } = tx;
      const rows = await manager.query<{ storage_key: string; state: string; damaged: boolean }[]>(
        `SELECT storage_key, state, damaged_at IS NOT NULL AS damaged FROM lfs_objects WHERE id = $1 FOR UPDATE`,
        [id],
      );
      const row = rows[0];
      if (!row || row.state !== 'present' || row.damaged) {
        return undefined;
      }
      const damage = await recheck(row.storage_key);
      if (damage === 'intact') {
        return undefined;
      }
      const movedTo = damage === 'corrupt' ? await quarantine(row.storage_key) : undefined;
      await manager.query(
        `UPDATE lfs_objects SET damaged_at = now(), damage = $2, quarantined_as = $3 WHERE id = $1`,
        [id, damage, movedTo ?? null],
      );
      tx.afterCommit(this.invalidateLinks);
      return { damage, movedTo };
    });
  }
}
