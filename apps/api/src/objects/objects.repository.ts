import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode, quotaExceededError } from '@lfs-depot/contracts';
import type { PoolClient, QueryResult } from 'pg';
import { DataSource } from 'typeorm';

import { LinkCache } from '../cache/link-cache.js';
import { parseInt8 } from '../database/bigint.js';
import { preparedQuery } from '../database/prepared-query.js';
import { inTransaction } from '../database/transaction.js';
import type { Transaction } from '../database/transaction.js';

export interface StoredObject {
  oid: string;
  size: number;
  storageKey: string;
}

/**
 * An object row's state. `present`: its bytes may be linked. `purging`: garbage collection or a deletion committed
 * to deleting its bytes; nothing may link it, and its row goes (gone) once the bytes are deleted. README "Storage
 * lifecycle" has the whole argument.
 */
export type ObjectState = 'present' | 'purging';

export interface KnownObject extends StoredObject {
  id: string;
  state: ObjectState;
  /** Scrub's repair found its bytes missing or corrupt: never verified against, written again by the next upload. */
  damaged: boolean;
}

/** An object row whose bytes are (being) deleted: what ObjectPurger needs. */
export interface PurgingObject {
  id: string;
  oid: string;
  size: number;
  storageKey: string;
}

export interface LinkOptions {
  /**
   * Called with the storage key while the object's row is locked as `present`, before the link is written: false
   * refuses the link (the bytes are not there). No purge can be deleting that key meanwhile (see ObjectPurger).
   */
  confirmStored?: (storageKey: string) => Promise<boolean>;
  /**
   * The upload wrote the bytes (not a deduplicated verify): a damage mark scrub left on the row is cleared, under the
   * same lock and after `confirmStored`, whether or not the project already linked it (README "Scrub").
   */
  wroteBytes?: boolean;
}

/** Of some oids a project asked to download but does not link healthily: why, when there is a reason to say. */
export interface UnavailableOids {
  /** Deleted on purpose and not uploaded again (410). */
  removed: ReadonlySet<string>;
  /** Linked, but scrub's repair found the bytes missing or corrupt (a per-object error, never the bytes). */
  damaged: ReadonlySet<string>;
}

/** Retried by git-lfs: the bytes were being purged while they were uploaded, so they must be sent again. */
function objectBeingPurged(oid: string): DomainError {
  return new DomainError(
    ErrorCode.SERVICE_UNAVAILABLE,
    `Object ${oid} is being removed from storage; upload it again in a moment`,
    { retry_after_seconds: PURGE_RETRY_AFTER_SECONDS },
  );
}

const PURGE_RETRY_AFTER_SECONDS = 2;

const LINK_OBJECT = `SELECT linked, storage_key FROM lfs_link_object($1, $2, $3, $4, $5, $6, $7)`;

/** The domain error for a refusal lfs_link_object raised (by its SQLSTATE), or undefined for any other error. */
function linkRefusal(error: unknown, object: StoredObject): DomainError | undefined {
  const { code, detail } = ((error as { driverError?: unknown }).driverError ?? error) as {
    code?: unknown;
    detail?: unknown;
  };
  switch (code) {
    case 'LD404':
      return new DomainError(ErrorCode.PROJECT_NOT_FOUND, 'The project was deleted during the upload');
    case 'LD503':
      return objectBeingPurged(object.oid);
    case 'LD413': {
      const { path, used, quota } = JSON.parse(String(detail)) as {
        path: string;
        used: number;
        quota: number;
      };
      return quotaExceededError({
        project: path,
        usedBytes: used,
        quotaBytes: quota,
        requestedBytes: object.size,
      });
    }
    default:
      return undefined;
  }
}

/** What an unlink removed: how many links, the bytes they counted, and the objects. */
export interface UnlinkResult {
  count: number;
  size: number;
  objects: StoredObject[];
}

/**
 * Links of project $1 that its snapshot does not reference and that were made more than $2 milliseconds before the
 * snapshot was taken: GC phase 1's candidates.
 */
const UNREFERENCED_LINKS = `
  SELECT o.id, o.oid, o.size, o.storage_key
    FROM lfs_objects_projects l
    JOIN lfs_objects o ON o.id = l.lfs_object_id
    JOIN project_reference_snapshots s ON s.project_id = l.project_id
   WHERE l.project_id = $1
     AND l.created_at < s.taken_at - make_interval(secs => $2::bigint / 1000.0)
     AND NOT EXISTS (SELECT 1 FROM project_references r
                      WHERE r.project_id = l.project_id AND r.oid = o.oid AND r.size = o.size)`;

/** Objects unlinked in one transaction: bounds a transaction's locks when GC or a deletion unlinks many. */
export const UNLINK_CHUNK = 1000;

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

  /**
   * Of the given oids, those the project links, with their stored size: one query whatever the count. With
   * `healthy`, objects scrub marked damaged are left out (their bytes must not be served or vouched for).
   */
  async findLinkedObjects(
    projectId: string,
    oids: readonly string[],
    options: { healthy?: boolean } = {},
  ): Promise<Map<string, StoredObject>> {
    if (oids.length === 0) {
      return new Map();
    }
    const rows = await this.dataSource.query<ObjectRow[]>(
      `SELECT o.oid, o.size, o.storage_key
         FROM lfs_objects o
         JOIN lfs_objects_projects l ON l.lfs_object_id = o.id AND l.project_id = $1
        WHERE o.oid = ANY($2::char(64)[])${options.healthy ? ' AND o.damaged_at IS NULL' : ''}`,
      [projectId, oids],
    );
    return new Map(rows.map((row) => [row.oid, toStoredObject(row)]));
  }

  /**
   * Since when (ms since the epoch) a link may have been removed or an object marked damaged, as far as this instance
   * knows (LinkCache: its start, its last invalidation from any instance, or now while it may miss them).
   */
  linksChangedSince(): number {
    return this.linkCache.changedSince();
  }

  /**
   * Of the given oids, those the project links, with their size: the batch API's one lookup, whatever the count, and
   * none at all for objects the LinkCache remembers. Objects scrub marked damaged are not linked as far as the batch
   * is concerned: uploads send them again, downloads get a per-object error (findUnavailableOids says which).
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
         JOIN lfs_objects_projects l ON l.lfs_object_id = o.id AND l.project_id = $1
        WHERE o.damaged_at IS NULL`,
      [projectId, oids],
    );
    const found = rows[0]?.found?.split(' ') ?? [];
    for (let i = 0; i + 1 < found.length; i += 2) {
      sizes.set(found[i], parseInt8(found[i + 1]));
    }
    return sizes;
  }

  /**
   * Of the given oids, those the project links but scrub marked damaged, with their size: objects the project pays
   * for (they count in its statistics) that an upload heals without adding to them. One query.
   */
  async findDamagedLinkedSizes(projectId: string, oids: readonly string[]): Promise<Map<string, number>> {
    if (oids.length === 0) {
      return new Map();
    }
    const rows = await this.dataSource.query<{ oid: string; size: string }[]>(
      `SELECT o.oid, o.size
         FROM lfs_objects o
         JOIN lfs_objects_projects l ON l.lfs_object_id = o.id AND l.project_id = $1
        WHERE o.oid = ANY($2::char(64)[]) AND o.damaged_at IS NOT NULL`,
      [projectId, oids],
    );
    return new Map(rows.map((row) => [row.oid, parseInt8(row.size)]));
  }

  /** The stored object with this oid and size, linked or not, with its state (used to skip rewriting known bytes). */
  async findObject(oid: string, size: number): Promise<KnownObject | undefined> {
    const rows = await this.dataSource.query<
      (ObjectRow & { id: string; state: ObjectState; damaged: boolean })[]
    >(
      `SELECT id, oid, size, storage_key, state, damaged_at IS NOT NULL AS damaged
         FROM lfs_objects WHERE oid = $1 AND size = $2`,
      [oid, size],
    );
    const row = rows[0];
    return row ? { ...toStoredObject(row), id: row.id, state: row.state, damaged: row.damaged } : undefined;
  }

  /**
   * What an upload authorization needs in one statement: the stored object with this oid and size (linked anywhere
   * or nowhere) with its state, and whether the project already links it.
   */
  async findUploadTarget(
    projectId: string,
    oid: string,
    size: number,
  ): Promise<{ object: KnownObject | undefined; linked: boolean }> {
    const rows = await preparedQuery<
      (ObjectRow & { id: string; state: ObjectState; damaged: boolean; linked: boolean })[]
    >(
      this.dataSource,
      'objects_upload_target',
      `SELECT o.id, o.oid, o.size, o.storage_key, o.state, o.damaged_at IS NOT NULL AS damaged,
              EXISTS (SELECT 1 FROM lfs_objects_projects l WHERE l.lfs_object_id = o.id AND l.project_id = $3) AS linked
         FROM lfs_objects o
        WHERE o.oid = $1 AND o.size = $2`,
      [oid, size, projectId],
    );
    const row = rows[0];
    return row
      ? {
          object: { ...toStoredObject(row), id: row.id, state: row.state, damaged: row.damaged },
          linked: row.linked,
        }
      : { object: undefined, linked: false };
  }

  /**
   * Records verified bytes in lfs_objects (idempotent), whether or not any project links them yet. A new row counts
   * as unlinked from now, so garbage collection removes bytes that end up linked nowhere (quota refused). When the
   * object's row is being purged, the bytes (written after the purge deleted its own, perhaps) are recorded as a
   * leftover instead, which garbage collection turns into a row once that purge is over (recordLeftovers).
   */
  async recordObject(object: StoredObject): Promise<void> {
    await this.dataSource.query(
      `WITH recorded AS (
         INSERT INTO lfs_objects (oid, size, storage_key, unlinked_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (oid, size) DO NOTHING
         RETURNING id
       )
       INSERT INTO lfs_object_leftovers (storage_key, oid, size)
       SELECT $3, $1, $2
        WHERE NOT EXISTS (SELECT 1 FROM recorded)
          AND EXISTS (SELECT 1 FROM lfs_objects WHERE oid = $1 AND size = $2 AND state = 'purging')
       ON CONFLICT (storage_key) DO NOTHING`,
      [object.oid, object.size, object.storageKey],
    );
  }

  /**
   * Records a row, unlinked from now, for each leftover (recordObject) whose oid and size no purge holds any more,
   * and forgets those leftovers: their bytes then wait their grace and are purged as any unlinked row's are, or
   * belong to the row an upload made meanwhile. Given `hasBytes`, a leftover whose bytes are gone (the purge deleted
   * them after the refused upload wrote them) is forgotten without a row: a `present` row without bytes would be
   * reported missing by scrub until it was purged. Returns how many leftovers were forgotten.
   */
  async recordLeftovers(hasBytes?: (storageKey: string) => Promise<boolean>): Promise<number> {
    let gone = 0;
    if (hasBytes) {
      const free = await this.dataSource.query<{ storage_key: string }[]>(
        `SELECT l.storage_key FROM lfs_object_leftovers l
          WHERE NOT EXISTS (
                  SELECT 1 FROM lfs_objects o WHERE o.oid = l.oid AND o.size = l.size AND o.state = 'purging')`,
      );
      const absent: string[] = [];
      for (const { storage_key: key } of free) {
        if (!(await hasBytes(key))) {
          absent.push(key);
        }
      }
      if (absent.length > 0) {
        // Still only those no purge holds: a purge begun since may have a refused upload's bytes to record.
        const forgotten = await this.dataSource.query<{ n: number }[]>(
          `WITH forgotten AS (
             DELETE FROM lfs_object_leftovers l
              WHERE l.storage_key = ANY($1)
                AND NOT EXISTS (
                      SELECT 1 FROM lfs_objects o WHERE o.oid = l.oid AND o.size = l.size AND o.state = 'purging')
             RETURNING 1
           )
           SELECT count(*)::int AS n FROM forgotten`,
          [absent],
        );
        gone = forgotten[0]?.n ?? 0;
      }
    }
    const rows = await this.dataSource.query<{ n: number }[]>(
      `WITH done AS (
         DELETE FROM lfs_object_leftovers l
          WHERE NOT EXISTS (
                  SELECT 1 FROM lfs_objects o WHERE o.oid = l.oid AND o.size = l.size AND o.state = 'purging')
         RETURNING l.storage_key, l.oid, l.size
       ), recorded AS (
         INSERT INTO lfs_objects (oid, size, storage_key, unlinked_at)
         SELECT oid, size, storage_key, now() FROM done
         ON CONFLICT (oid, size) DO NOTHING
       )
       SELECT count(*)::int AS n FROM done`,
    );
    return gone + (rows[0]?.n ?? 0);
  }

  /**
   * Records a verified object and links it to the project, with statistics and the quota check in the same
   * transaction. The statistics row is locked first, so concurrent links to one project are serialised and can
   * never overshoot quota_bytes together. Throws QUOTA_EXCEEDED (nothing written) when the link would not fit.
   *
   * The object's row is locked (the upsert's DO UPDATE) and must be `present`: a row being purged refuses the link
   * with a retryable 503, since its bytes are or will be deleted. With `confirmStored`, the bytes are checked under
   * that lock, which is what makes a link to deleted bytes impossible (README "Storage lifecycle").
   */
  linkObjectToProject(
    projectId: string,
    object: StoredObject,
    quotaBytes: number | null,
    options: LinkOptions = {},
  ): Promise<LinkResult> {
    return this.link(projectId, object, quotaBytes, options);
  }

  /**
   * linkObjectToProject with the project's own quota, read under the statistics row's lock (so a quota changed
   * meanwhile counts): what a finalize needs, without looking the project up first.
   */
  linkUploadedObject(
    projectId: string,
    object: StoredObject,
    options: LinkOptions = {},
  ): Promise<LinkResult> {
    return this.link(projectId, object, undefined, options);
  }

  /**
   * One call of lfs_link_object (migrations/1765000200000-CreateLinkObjectFunction.ts), which takes the locks in the
   * order every link, unlink and purge takes them and raises on every refusal. Without `confirmStored` it runs alone
   * in autocommit: one round trip. With it, the bytes must be checked while the object's row is locked and before
   * anything commits, and storage is not in the database: `BEGIN` rides in the same message as the call, the check
   * runs, then `COMMIT` (or `ROLLBACK`): two round trips, where the link used to take seven (BEGIN, five, COMMIT).
   */
  private async link(
    projectId: string,
    object: StoredObject,
    quota: number | null | undefined,
    options: LinkOptions,
  ): Promise<LinkResult> {
    const confirmStored = options.confirmStored;
    const parameters = [
      projectId,
      object.oid,
      object.size,
      object.storageKey,
      options.wroteBytes === true,
      quota !== undefined,
      quota ?? null,
    ];
    if (!confirmStored) {
      const rows = await preparedQuery<{ linked: boolean }[]>(
        this.dataSource,
        'objects_link',
        LINK_OBJECT,
        parameters,
      ).catch((error: unknown) => {
        throw linkRefusal(error, object) ?? error;
      });
      return { linked: rows[0]?.linked === true };
    }
    const [client, release] = (await this.dataSource.driver.obtainMasterConnection()) as [
      PoolClient,
      (destroy?: Error | boolean) => void,
    ];
    // A connection that fails while we hold it is reported here rather than crashing the process; it is destroyed.
    let broken: Error | undefined;
    const onError = (error: Error): void => {
      broken = error;
    };
    client.on('error', onError);
    let open = false;
    try {
      // Simple-protocol text, so that BEGIN and the call travel together; every value is a quoted literal.
      const call = `BEGIN; SELECT linked, storage_key FROM lfs_link_object(${parameters
        .map((value) => (value === null ? 'NULL' : client.escapeLiteral(String(value))))
        .join(', ')})`;
      this.dataSource.logger.logQuery(call);
      open = true;
      const results = (await client.query(call)) as unknown as QueryResult<{
        linked: boolean;
        storage_key: string;
      }>[];
      const row = results[1]?.rows[0];
      if (!row) {
        throw new Error('lfs_link_object answered no row');
      }
      if (!(await confirmStored(row.storage_key))) {
        throw objectBeingPurged(object.oid);
      }
      this.dataSource.logger.logQuery('COMMIT');
      await client.query('COMMIT');
      open = false;
      return { linked: row.linked };
    } catch (error) {
      if (open && !broken) {
        this.dataSource.logger.logQuery('ROLLBACK');
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
      }
      throw linkRefusal(error, object) ?? error;
    } finally {
      client.removeListener('error', onError);
      release(broken ?? false);
    }
  }

  private readonly invalidateLinks = (): Promise<void> => this.linkCache.invalidate();

  /**
   * Removes the project's link to an object and its share of the statistics, in one transaction (the caller's, when
   * given: the audit trail's).
   */
  async unlinkObjectFromProject(projectId: string, oid: string, tx?: Transaction): Promise<boolean> {
    const { count } = await this.unlinkObjects(projectId, { oids: [oid] }, { tx });
    return count > 0;
  }

  /**
   * Removes the project's links to the given objects (by oid or by row id, at most UNLINK_CHUNK of them), with the
   * statistics, in one transaction (the caller's `tx`, so that it can record an audit event in it); with `removed`,
   * also records them as deleted on purpose (batch answers 410). Locks the statistics row, then the object rows in
   * id order (the order every link and purge takes them), and marks the objects that no project links any more as
   * unlinked from now on.
   */
  unlinkObjects(
    projectId: string,
    which: { oids: readonly string[] } | { ids: readonly string[] },
    options: { removed?: boolean; tx?: Transaction } = {},
  ): Promise<UnlinkResult> {
    return inTransaction(this.dataSource, options.tx, async (tx) => {
      const { manager } = tx;
      await manager.query(`SELECT 1 FROM project_statistics WHERE project_id = $1 FOR UPDATE`, [projectId]);
      const byOid = 'oids' in which;
      const rows = await manager.query<(ObjectRow & { id: string })[]>(
        `SELECT o.id, o.oid, o.size, o.storage_key
           FROM lfs_objects_projects l JOIN lfs_objects o ON o.id = l.lfs_object_id
          WHERE l.project_id = $1 AND ${byOid ? 'o.oid = ANY($2::char(64)[])' : 'o.id = ANY($2::bigint[])'}
          ORDER BY o.id
            FOR UPDATE OF o`,
        [projectId, byOid ? which.oids : which.ids],
      );
      if (rows.length > 0 && options.removed) {
        await manager.query(
          `INSERT INTO lfs_object_removals (project_id, oid)
           SELECT DISTINCT $1::bigint, oid FROM unnest($2::char(64)[]) AS removed(oid)
           ON CONFLICT (project_id, oid) DO UPDATE SET removed_at = now()`,
          [projectId, rows.map((row) => row.oid)],
        );
      }
      return this.unlinkLockedRows(tx, projectId, rows);
    });
  }

  /**
   * GC phase 1 for one project: unlinks (at most `limit` of) the links its reference snapshot does not reference
   * and that are older than the snapshot by more than `graceMs`, with statistics, in one transaction (the caller's
   * `tx`). The snapshot row is locked (shared) first, so a snapshot replaced meanwhile is waited for and honoured.
   * A project without a snapshot unlinks nothing.
   */
  unlinkUnreferenced(
    projectId: string,
    graceMs: number,
    limit: number,
    tx?: Transaction,
  ): Promise<UnlinkResult> {
    return inTransaction(this.dataSource, tx, async (transaction) => {
      const { manager } = transaction;
      await manager.query(`SELECT 1 FROM project_statistics WHERE project_id = $1 FOR UPDATE`, [projectId]);
      const snapshot = await manager.query<unknown[]>(
        `SELECT 1 FROM project_reference_snapshots WHERE project_id = $1 FOR SHARE`,
        [projectId],
      );
      if (snapshot.length === 0) {
        return { count: 0, size: 0, objects: [] };
      }
      const rows = await manager.query<(ObjectRow & { id: string })[]>(
        `${UNREFERENCED_LINKS} ORDER BY o.id LIMIT $3 FOR UPDATE OF o`,
        [projectId, graceMs, limit],
      );
      return this.unlinkLockedRows(transaction, projectId, rows);
    });
  }

  /** What unlinkUnreferenced would unlink in the project, all chunks together (a dry run). */
  async countUnreferenced(projectId: string, graceMs: number): Promise<{ count: number; size: number }> {
    const rows = await this.dataSource.query<{ count: string; size: string }[]>(
      `SELECT count(*) AS count, coalesce(sum(size), 0) AS size FROM (${UNREFERENCED_LINKS}) AS unreferenced`,
      [projectId, graceMs],
    );
    return { count: parseInt8(rows[0]?.count ?? '0'), size: parseInt8(rows[0]?.size ?? '0') };
  }

  /**
   * What a purge of everything unlinked at or before `unlinkedBefore` would delete (a dry run); with `projectId`,
   * only what that project's unlink left linked nowhere.
   */
  async countPurgeCandidates(
    unlinkedBefore: Date,
    projectId?: string,
  ): Promise<{ count: number; size: number }> {
    const rows = await this.dataSource.query<{ count: string; size: string }[]>(
      `SELECT count(*) AS count, coalesce(sum(o.size), 0) AS size FROM lfs_objects o
        WHERE ($2::bigint IS NULL OR o.unlinked_from_project_id = $2::bigint)
          AND (o.state = 'purging'
               OR (coalesce(o.unlinked_at, now()) <= $1
                   AND NOT EXISTS (SELECT 1 FROM lfs_objects_projects l WHERE l.lfs_object_id = o.id)))`,
      [unlinkedBefore, projectId ?? null],
    );
    return { count: parseInt8(rows[0]?.count ?? '0'), size: parseInt8(rows[0]?.size ?? '0') };
  }

  /** Deletes the links of rows locked by the caller's transaction, and their share of the statistics. */
  private async unlinkLockedRows(
    tx: Transaction,
    projectId: string,
    rows: (ObjectRow & { id: string })[],
  ): Promise<UnlinkResult> {
    if (rows.length === 0) {
      return { count: 0, size: 0, objects: [] };
    }
    const { manager } = tx;
    const ids = rows.map((row) => row.id);
    await manager.query(
      `DELETE FROM lfs_objects_projects WHERE project_id = $1 AND lfs_object_id = ANY($2::bigint[])`,
      [projectId, ids],
    );
    // A statement of its own, after the row locks: it sees every other unlink committed before them.
    await manager.query(
      `UPDATE lfs_objects o SET unlinked_at = now(), unlinked_from_project_id = $2
        WHERE o.id = ANY($1::bigint[])
          AND NOT EXISTS (SELECT 1 FROM lfs_objects_projects l WHERE l.lfs_object_id = o.id)`,
      [ids, projectId],
    );
    const size = rows.reduce((sum, row) => sum + parseInt8(row.size), 0);
    await manager.query(
      `UPDATE project_statistics
          SET lfs_objects_count = lfs_objects_count - $2, lfs_objects_size = lfs_objects_size - $3, updated_at = now()
        WHERE project_id = $1`,
      [projectId, rows.length, size],
    );
    // After the commit, so no instance can look the link up again from before the delete and remember it.
    tx.afterCommit(this.invalidateLinks);
    return { count: rows.length, size, objects: rows.map(toStoredObject) };
  }

  /**
   * Unlinks every object of the project (before the project is deleted), UNLINK_CHUNK per transaction, so that
   * the objects no other project links are marked unlinked and garbage collection purges them after its grace.
   */
  async unlinkAllProjectObjects(projectId: string): Promise<UnlinkResult> {
    const total: UnlinkResult = { count: 0, size: 0, objects: [] };
    for (;;) {
      const rows = await this.dataSource.query<{ id: string }[]>(
        `SELECT lfs_object_id AS id FROM lfs_objects_projects WHERE project_id = $1 ORDER BY lfs_object_id LIMIT $2`,
        [projectId, UNLINK_CHUNK],
      );
      if (rows.length === 0) {
        return total;
      }
      const result = await this.unlinkObjects(projectId, { ids: rows.map((row) => row.id) });
      total.count += result.count;
      total.size += result.size;
    }
  }

  /** Ids of the projects linking an object with this oid (any size), for deleting it everywhere. */
  async findProjectsLinkingOid(oid: string): Promise<string[]> {
    const rows = await this.dataSource.query<{ project_id: string }[]>(
      `SELECT DISTINCT l.project_id FROM lfs_objects_projects l JOIN lfs_objects o ON o.id = l.lfs_object_id
        WHERE o.oid = $1 ORDER BY l.project_id`,
      [oid],
    );
    return rows.map((row) => row.project_id);
  }

  /**
   * Of the given oids, those deleted on purpose from the project and not uploaded again (batch answers 410) and
   * those it links but scrub marked damaged: one query.
   */
  async findUnavailableOids(projectId: string, oids: readonly string[]): Promise<UnavailableOids> {
    const removed = new Set<string>();
    const damaged = new Set<string>();
    if (oids.length === 0) {
      return { removed, damaged };
    }
    const rows = await this.dataSource.query<{ oid: string; damaged: boolean }[]>(
      `SELECT oid, false AS damaged FROM lfs_object_removals WHERE project_id = $1 AND oid = ANY($2::char(64)[])
       UNION ALL
       SELECT o.oid, true AS damaged
         FROM lfs_objects o JOIN lfs_objects_projects l ON l.lfs_object_id = o.id AND l.project_id = $1
        WHERE o.oid = ANY($2::char(64)[]) AND o.damaged_at IS NOT NULL`,
      [projectId, oids],
    );
    for (const row of rows) {
      (row.damaged ? damaged : removed).add(row.oid);
    }
    return { removed, damaged };
  }

  /**
   * Rows whose bytes may be purged: those left `purging` by an interrupted purge, and those no project links that
   * were unlinked at or before `unlinkedBefore`; with `projectId`, only those whose last link was that project's;
   * in id order after `afterId`.
   */
  async findPurgeCandidates(
    unlinkedBefore: Date,
    afterId: string,
    limit: number,
    projectId?: string,
  ): Promise<PurgingObject[]> {
    const rows = await this.dataSource.query<(ObjectRow & { id: string })[]>(
      `SELECT o.id, o.oid, o.size, o.storage_key FROM lfs_objects o
        WHERE o.id > $2
          AND ($4::bigint IS NULL OR o.unlinked_from_project_id = $4::bigint)
          AND (o.state = 'purging'
               OR (o.unlinked_at <= $1
                   AND NOT EXISTS (SELECT 1 FROM lfs_objects_projects l WHERE l.lfs_object_id = o.id)))
        ORDER BY o.id
        LIMIT $3`,
      [unlinkedBefore, afterId, limit, projectId ?? null],
    );
    return rows.map((row) => ({ ...toStoredObject(row), id: row.id }));
  }

  /**
   * Gives an unlinked time of now to rows that no project links but have none (their project was deleted while an
   * upload linked into it), so that they too wait their grace and are then purged; returns how many.
   */
  async stampUnlinkedObjects(): Promise<number> {
    const result = await this.dataSource.query<[unknown[], number]>(
      `UPDATE lfs_objects o SET unlinked_at = now()
        WHERE o.unlinked_at IS NULL AND o.state = 'present'
          AND NOT EXISTS (SELECT 1 FROM lfs_objects_projects l WHERE l.lfs_object_id = o.id)`,
    );
    return result[1];
  }

  /** Rows of this oid (any size) that no project links: what a deletion on purpose purges at once. */
  async findUnlinkedObjectsByOid(oid: string): Promise<PurgingObject[]> {
    const rows = await this.dataSource.query<(ObjectRow & { id: string })[]>(
      `SELECT o.id, o.oid, o.size, o.storage_key FROM lfs_objects o
        WHERE o.oid = $1
          AND NOT EXISTS (SELECT 1 FROM lfs_objects_projects l WHERE l.lfs_object_id = o.id)
        ORDER BY o.id`,
      [oid],
    );
    return rows.map((row) => ({ ...toStoredObject(row), id: row.id }));
  }

  /**
   * First step of a purge: under the row's lock, moves it from `present` to `purging` when no project links it and
   * it was unlinked at or before `unlinkedBefore` (by `unlinkedFrom`'s unlink, when given; a row already `purging`
   * is taken as it is: an earlier purge was interrupted). Committed before any byte is deleted. Undefined when it
   * may not be purged (linked again, gone).
   */
  async markPurging(
    id: string,
    unlinkedBefore: Date,
    unlinkedFrom?: string,
  ): Promise<PurgingObject | undefined> {
    return this.dataSource.transaction(async (manager) => {
      const rows = await manager.query<
        (ObjectRow & {
          id: string;
          state: ObjectState;
          unlinked_at: Date | null;
          unlinked_from_project_id: string | null;
        })[]
      >(
        `SELECT id, oid, size, storage_key, state, unlinked_at, unlinked_from_project_id FROM lfs_objects
          WHERE id = $1 FOR UPDATE`,
        [id],
      );
      const row = rows[0];
      if (!row) {
        return undefined;
      }
      if (row.state === 'present') {
        if (row.unlinked_at === null || row.unlinked_at > unlinkedBefore) {
          return undefined;
        }
        if (unlinkedFrom !== undefined && row.unlinked_from_project_id !== unlinkedFrom) {
          return undefined; // linked and unlinked again elsewhere since the candidates were read
        }
        // A statement of its own, after the lock: a link committed while we waited for it is seen.
        const links = await manager.query<unknown[]>(
          `SELECT 1 FROM lfs_objects_projects WHERE lfs_object_id = $1 LIMIT 1`,
          [id],
        );
        if (links.length > 0) {
          return undefined;
        }
        await manager.query(`UPDATE lfs_objects SET state = 'purging' WHERE id = $1`, [id]);
      }
      return { ...toStoredObject(row), id: row.id };
    });
  }

  /** Last step of a purge, once the bytes are deleted: the row goes. No link can exist (a `purging` row takes none). */
  async removePurgedObject(id: string, tx?: Transaction): Promise<void> {
    await inTransaction(this.dataSource, tx, async ({ manager }) => {
      await manager.query(`DELETE FROM lfs_objects WHERE id = $1 AND state = 'purging'`, [id]);
    });
  }

  /**
   * A page of the project's objects in oid order, after `cursor` (an oid); with `linkedBefore`, only the links made
   * before it (an export lists what was linked when it started).
   */
  async listProjectObjects(
    projectId: string,
    limit: number,
    cursor?: string,
    linkedBefore?: Date,
  ): Promise<ProjectObjectPage> {
    const rows = await this.dataSource.query<(ObjectRow & { created_at: Date })[]>(
      `SELECT o.oid, o.size, o.storage_key, l.created_at
         FROM lfs_objects_projects l JOIN lfs_objects o ON o.id = l.lfs_object_id
        WHERE l.project_id = $1 AND ($2::text IS NULL OR o.oid > $2)
          AND ($4::timestamptz IS NULL OR l.created_at <= $4::timestamptz)
        ORDER BY o.oid
        LIMIT $3`,
      [projectId, cursor ?? null, limit + 1, linkedBefore ?? null],
    );
    const page = rows.slice(0, limit);
    return {
      objects: page.map((row) => ({ ...toStoredObject(row), linkedAt: row.created_at })),
      nextCursor: rows.length > limit ? (page[page.length - 1]?.oid ?? null) : null,
    };
  }

  /**
   * How many objects the project links now, their bytes, and the database's now (`at`): an export's manifest, whose
   * listing then takes the links made up to `at` (the database's clock, as the links' created_at).
   */
  async countProjectObjects(projectId: string): Promise<{ count: number; size: number; at: Date }> {
    const rows = await this.dataSource.query<{ count: string; size: string; at: Date }[]>(
      `SELECT count(*) AS count, coalesce(sum(o.size), 0) AS size, now() AS at
         FROM lfs_objects_projects l JOIN lfs_objects o ON o.id = l.lfs_object_id
        WHERE l.project_id = $1 AND l.created_at <= now()`,
      [projectId],
    );
    const row = rows[0];
    return {
      count: parseInt8(row?.count ?? '0'),
      size: parseInt8(row?.size ?? '0'),
      at: row?.at ?? new Date(),
    };
  }
}
