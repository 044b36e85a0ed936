import { Injectable } from '@nestjs/common';
import type { JobKind, JobProgress, JobState, JobView } from '@lfs-depot/contracts';
import { REQUEST_JOB_KINDS } from '@lfs-depot/contracts';
import { DataSource } from 'typeorm';

import type { Transaction } from '../database/transaction.js';
import { inTransaction } from '../database/transaction.js';

interface JobRow {
  id: string;
  kind: JobKind;
  state: JobState;
  params: Record<string, unknown>;
  progress: JobProgress | null;
  result: Record<string, unknown> | null;
  error: string | null;
  cancel_requested: boolean;
  attempts: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const COLUMNS = `id, kind, state, params, progress, result, error, cancel_requested, attempts, created_at, started_at,
                 finished_at`;

function toView(row: JobRow): JobView {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    params: row.params,
    progress: row.progress,
    result: row.result,
    error: row.error,
    cancel_requested: row.cancel_requested,
    attempts: row.attempts,
    created_at: row.created_at.toISOString(),
    started_at: row.started_at?.toISOString() ?? null,
    finished_at: row.finished_at?.toISOString() ?? null,
  };
}

/** What a claimed job needs to run. */
export interface ClaimedJob {
  id: string;
  kind: JobKind;
  params: Record<string, unknown>;
  attempts: number;
}

/** DELETE … RETURNING and UPDATE … RETURNING come back from TypeORM's query() as [rows, count]. */
function rowsOf<T>(result: T[] | [T[], number]): T[] {
  return Array.isArray(result[0]) ? result[0] : (result as T[]);
}

/** The jobs table: queued by requests and the scheduler, claimed and run by one instance's JobRunner at a time. */
@Injectable()
export class JobsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Queues a job (in the caller's transaction, when given: its audit event commits with it). */
  async createJob(kind: JobKind, params: Record<string, unknown>, tx?: Transaction): Promise<JobView> {
    return inTransaction(this.dataSource, tx, async ({ manager }) => {
      const rows = await manager.query<JobRow[]>(
        `INSERT INTO jobs (kind, params) VALUES ($1, $2::jsonb) RETURNING ${COLUMNS}`,
        [kind, JSON.stringify(params)],
      );
      return toView(rows[0]);
    });
  }

  /** A job that a request runs itself (REQUEST_JOB_KINDS): running from the start, owned by `owner`. */
  async createRunningJob(kind: JobKind, params: Record<string, unknown>, owner: string): Promise<JobView> {
    const rows = await this.dataSource.query<JobRow[]>(
      `INSERT INTO jobs (kind, params, state, owner, heartbeat_at, started_at, attempts)
       VALUES ($1, $2::jsonb, 'running', $3, now(), now(), 1) RETURNING ${COLUMNS}`,
      [kind, JSON.stringify(params), owner],
    );
    return toView(rows[0]);
  }

  /**
   * Queues a job of this kind unless one is queued or running already (the scheduler of every instance calls it;
   * a transaction-scoped advisory lock makes the check and the insert one step across instances).
   */
  async createJobUnlessActive(
    kind: JobKind,
    params: Record<string, unknown>,
    tx?: Transaction,
  ): Promise<JobView | undefined> {
    return inTransaction(this.dataSource, tx, async ({ manager }) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('lfs-depot:jobs:' || $1))`, [kind]);
      const active = await manager.query<unknown[]>(
        `SELECT 1 FROM jobs WHERE kind = $1 AND state IN ('queued', 'running') LIMIT 1`,
        [kind],
      );
      if (active.length > 0) {
        return undefined;
      }
      const rows = await manager.query<JobRow[]>(
        `INSERT INTO jobs (kind, params) VALUES ($1, $2::jsonb) RETURNING ${COLUMNS}`,
        [kind, JSON.stringify(params)],
      );
      return toView(rows[0]);
    });
  }

  async findJob(id: string): Promise<JobView | undefined> {
    if (!/^\d{1,18}$/.test(id)) {
      return undefined;
    }
    const rows = await this.dataSource.query<JobRow[]>(`SELECT ${COLUMNS} FROM jobs WHERE id = $1`, [id]);
    return rows[0] ? toView(rows[0]) : undefined;
  }

  /** Newest first, after the cursor (an id). */
  async listJobs(filter: {
    limit: number;
    beforeId?: string;
    state?: JobState;
    kind?: JobKind;
  }): Promise<{ jobs: JobView[]; nextCursor: string | null }> {
    const rows = await this.dataSource.query<JobRow[]>(
      `SELECT ${COLUMNS} FROM jobs
        WHERE ($1::bigint IS NULL OR id < $1::bigint)
          AND ($2::text IS NULL OR state = $2::text)
          AND ($3::text IS NULL OR kind = $3::text)
        ORDER BY id DESC LIMIT $4`,
      [filter.beforeId ?? null, filter.state ?? null, filter.kind ?? null, filter.limit + 1],
    );
    const page = rows.slice(0, filter.limit);
    return {
      jobs: page.map(toView),
      nextCursor: rows.length > filter.limit ? (page[page.length - 1]?.id ?? null) : null,
    };
  }

  /**
   * A queued job is cancelled at once; a running one is asked to stop (its runner sees it within a heartbeat).
   * `requested`: whether this call asked (the job was queued or running), in the caller's transaction when given.
   */
  async requestCancel(
    id: string,
    tx?: Transaction,
  ): Promise<{ job: JobView; requested: boolean } | undefined> {
    if (!/^\d{1,18}$/.test(id)) {
      return undefined;
    }
    return inTransaction(this.dataSource, tx, async ({ manager }) => {
      const [, changed] = await manager.query<[unknown[], number]>(
        `UPDATE jobs
            SET cancel_requested = true,
                state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
                finished_at = CASE WHEN state = 'queued' THEN now() ELSE finished_at END
          WHERE id = $1 AND state IN ('queued', 'running')`,
        [id],
      );
      const rows = await manager.query<JobRow[]>(`SELECT ${COLUMNS} FROM jobs WHERE id = $1`, [id]);
      return rows[0] ? { job: toView(rows[0]), requested: changed > 0 } : undefined;
    });
  }

  /** Takes the oldest queued job of one of these kinds for `owner` (SKIP LOCKED: instances never take the same). */
  async claimJob(owner: string, kinds: readonly JobKind[]): Promise<ClaimedJob | undefined> {
    const result = await this.dataSource.query<ClaimedJob[] | [ClaimedJob[], number]>(
      `UPDATE jobs
          SET state = 'running', owner = $1, heartbeat_at = now(), started_at = coalesce(started_at, now()),
              attempts = attempts + 1
        WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND kind = ANY($2::text[])
                     ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id, kind, params, attempts`,
      [owner, kinds],
    );
    return rowsOf(result)[0];
  }

  /**
   * Records the owner's heartbeat and progress; answers whether it still owns the job and whether it was asked to
   * stop. A job that lost its owner (queued again as stale) must stop at once.
   */
  async heartbeat(
    id: string,
    owner: string,
    progress: JobProgress | null,
  ): Promise<{ owned: boolean; cancelRequested: boolean }> {
    const result = await this.dataSource.query<
      { cancel_requested: boolean }[] | [{ cancel_requested: boolean }[], number]
    >(
      `UPDATE jobs SET heartbeat_at = now(), progress = $3::jsonb
        WHERE id = $1 AND owner = $2 AND state = 'running'
        RETURNING cancel_requested`,
      [id, owner, JSON.stringify(progress)],
    );
    const row = rowsOf(result)[0];
    return { owned: row !== undefined, cancelRequested: row?.cancel_requested ?? false };
  }

  /** Ends a job its owner ran; nothing happens when it lost the job meanwhile. */
  async finishJob(
    id: string,
    owner: string,
    outcome: { state: 'succeeded' | 'failed' | 'cancelled'; result?: unknown; error?: string },
    progress: JobProgress | null,
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE jobs
          SET state = $3, result = $4::jsonb, error = $5, progress = $6::jsonb, finished_at = now(), owner = NULL
        WHERE id = $1 AND owner = $2 AND state = 'running'`,
      [
        id,
        owner,
        outcome.state,
        outcome.result === undefined ? null : JSON.stringify(outcome.result),
        outcome.error ?? null,
        JSON.stringify(progress),
      ],
    );
  }

  /** Puts a job its owner stops running (shutting down) back in the queue, for another instance or the next start. */
  async releaseJob(id: string, owner: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE jobs SET state = 'queued', owner = NULL WHERE id = $1 AND owner = $2 AND state = 'running'`,
      [id, owner],
    );
  }

  /**
   * Queues again the running jobs whose owner stopped beating `staleSeconds` ago (killed, or its machine gone), or,
   * with `all`, every running job not owned by `exceptOwner` (a single instance starting: no other can own one).
   * Cancel requested: cancelled instead. A request's job (REQUEST_JOB_KINDS) fails instead: its request went with
   * its instance, and nothing could run it again. Returns how many.
   */
  async requeueStaleJobs(staleSeconds: number, exceptOwner: string, all = false): Promise<number> {
    const result = await this.dataSource.query<[unknown[], number]>(
      `UPDATE jobs
          SET state = CASE WHEN cancel_requested THEN 'cancelled'
                           WHEN kind = ANY($4::text[]) THEN 'failed' ELSE 'queued' END,
              error = CASE WHEN NOT cancel_requested AND kind = ANY($4::text[])
                           THEN 'The instance running this request stopped; run it again' ELSE error END,
              finished_at = CASE WHEN cancel_requested OR kind = ANY($4::text[]) THEN now() ELSE finished_at END,
              owner = NULL
        WHERE state = 'running' AND owner IS DISTINCT FROM $2
          AND ($3 OR heartbeat_at < now() - make_interval(secs => $1))`,
      [staleSeconds, exceptOwner, all, REQUEST_JOB_KINDS],
    );
    return result[1];
  }
}
