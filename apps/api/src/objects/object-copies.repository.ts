import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { parseInt8 } from '../database/bigint.js';
import type { PurgingObject } from './objects.repository.js';

/** Where an object's row stood when a copy of its bytes was settled. */
export type CopiedObjectState = 'present' | 'purging' | 'gone';

/**
 * The rows a storage migration walks, and the one step that makes a copy safe against a concurrent purge
 * (README "Moving objects to another backend"). SQL only: the bytes are the caller's.
 */
@Injectable()
export class ObjectCopiesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** How many `present` objects there are, and their bytes. */
  async summarizePresentObjects(): Promise<{ count: number; size: number }> {
    const rows = await this.dataSource.query<{ count: string; size: string }[]>(
      `SELECT count(*) AS count, coalesce(sum(size), 0) AS size FROM lfs_objects WHERE state = 'present'`,
    );
    return { count: parseInt8(rows[0]?.count ?? '0'), size: parseInt8(rows[0]?.size ?? '0') };
  }

  /** A page of `present` objects in id order after `afterId`. */
  async findPresentObjects(afterId: string, limit: number): Promise<PurgingObject[]> {
    const rows = await this.dataSource.query<
      { id: string; oid: string; size: string; storage_key: string }[]
    >(
      `SELECT id, oid, size, storage_key FROM lfs_objects WHERE state = 'present' AND id > $1 ORDER BY id LIMIT $2`,
      [afterId, limit],
    );
    return rows.map((row) => ({
      id: row.id,
      oid: row.oid,
      size: parseInt8(row.size),
      storageKey: row.storage_key,
    }));
  }

  /** The state of the row with this id now. */
  async findObjectState(id: string): Promise<CopiedObjectState> {
    const rows = await this.dataSource.query<{ state: 'present' | 'purging' }[]>(
      `SELECT state FROM lfs_objects WHERE id = $1`,
      [id],
    );
    return rows[0]?.state ?? 'gone';
  }

  /**
   * Runs `settle` with the state of the (oid, size) row while nothing can link or purge it, and answers that state.
   * A copy finished after a purge deleted the bytes must not stay behind, nor may removing it delete bytes that a
   * new row links; so: an existing row is locked (FOR UPDATE, the lock links and purges take), and an absent one
   * is held by inserting a `purging` placeholder, which a link of the same content waits for (the unique key) and
   * then, rolled back, never sees. `settle` runs under that lock: for `purging` and `gone` it deletes the copy, and
   * no link can be made meanwhile. A crash here rolls back; the copy then stays, linked by nothing.
   */
  async settleCopy(
    object: { oid: string; size: number; storageKey: string },
    settle: (state: CopiedObjectState) => Promise<void>,
  ): Promise<CopiedObjectState> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      try {
        let state: CopiedObjectState | undefined;
        // Again when the row that stopped the insert was removed before it could be locked: the slot is free then.
        while (state === undefined) {
          const placeholder = (await runner.query(
            `INSERT INTO lfs_objects (oid, size, storage_key, state, unlinked_at)
             VALUES ($1, $2, $3, 'purging', now())
             ON CONFLICT (oid, size) DO NOTHING RETURNING id`,
            [object.oid, object.size, object.storageKey],
          )) as unknown[];
          if (placeholder.length > 0) {
            state = 'gone';
          } else {
            const rows = (await runner.query(
              `SELECT state FROM lfs_objects WHERE oid = $1 AND size = $2 FOR UPDATE`,
              [object.oid, object.size],
            )) as { state: 'present' | 'purging' }[];
            state = rows[0]?.state;
          }
        }
        await settle(state);
        // The placeholder must never be seen: rolled back, as if it had never been.
        if (state === 'gone') {
          await runner.rollbackTransaction();
        } else {
          await runner.commitTransaction();
        }
        return state;
      } catch (error) {
        if (runner.isTransactionActive) {
          await runner.rollbackTransaction();
        }
        throw error;
      }
    } finally {
      await runner.release();
    }
  }
}
