import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Config } from '@lfs-depot/config';
import { describeStorage } from '@lfs-depot/config';
import type { JobView, MigrationProblem, StorageMigrationReport } from '@lfs-depot/contracts';
import { DomainError, ErrorCode, MIGRATION_PROBLEMS_NAMED } from '@lfs-depot/contracts';
import type { ObjectStorage } from '@lfs-depot/storage';
import { FallbackStorage } from '@lfs-depot/storage';

import type { AuditContext } from '../audit/audit-context.js';
import { AuditService } from '../audit/audit.service.js';
import { CONFIG, OBJECT_STORAGE } from '../core/api-runtime.js';
import type { JobContext } from '../jobs/job-runner.js';
import { JobRunner } from '../jobs/job-runner.js';
import { JobsRepository } from '../jobs/jobs.repository.js';
import { ObjectCopiesRepository } from '../objects/object-copies.repository.js';
import type { PurgingObject } from '../objects/objects.repository.js';
import { ByteRate, migrateObject } from './object-migrator.js';

/** Object rows read per query. */
const PAGE = 500;
const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 32;

export interface StorageMigrationParams {
  concurrency: number;
  max_bytes_per_second: number | null;
}

/**
 * `storage-migrate` jobs: every object the database records is copied from STORAGE_FALLBACK to STORAGE, verified
 * as it is written, a bounded number at a time (README "Moving objects to another backend"). Run again, a job
 * skips what the primary holds already, so a restart after a crash resumes where the copies stopped.
 */
@Injectable()
export class StorageMigrationService {
  private readonly logger = new Logger(StorageMigrationService.name);

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly copies: ObjectCopiesRepository,
    private readonly jobs: JobsRepository,
    private readonly runner: JobRunner,
    private readonly audit: AuditService,
  ) {}

  /**
   * Queues a migration (`POST /api/v1/storage/migrate`, audited as `storage.migrate`) unless one is queued or
   * running.
   */
  async startMigration(body: unknown, context: AuditContext): Promise<JobView> {
    this.backends();
    const params = parseParams(body);
    const job = await this.audit.transaction(async (tx) => {
      const queued = await this.jobs.createJobUnlessActive('storage-migrate', { ...params }, tx);
      if (queued) {
        await this.audit.record(tx, context, {
          action: 'storage.migrate',
          target: { type: 'job', id: queued.id, name: 'storage-migrate' },
          details: { ...params },
        });
      }
      return queued;
    });
    if (!job) {
      throw new DomainError(
        ErrorCode.ALREADY_EXISTS,
        'A storage migration is already queued or running; follow it with lfs-depot jobs list',
      );
    }
    this.runner.wake();
    return job;
  }

  /** The job handler: parameters as stored by startMigration. */
  async runJob(params: Record<string, unknown>, context: JobContext): Promise<StorageMigrationReport> {
    const backends = this.backends();
    const { concurrency, max_bytes_per_second: maxRate } = parseParams(params);
    const totals = await this.copies.summarizePresentObjects();
    const report: StorageMigrationReport = {
      from: describeStorage(this.config.storageFallback as NonNullable<Config['storageFallback']>),
      to: describeStorage(this.config.storage),
      objects: totals.count,
      bytes: totals.size,
      copied: 0,
      copied_bytes: 0,
      already_migrated: 0,
      purged: 0,
      missing: 0,
      corrupt: 0,
      failed: 0,
      remaining: 0,
      problems: [],
    };
    let done = 0;
    let bytesDone = 0;
    const progress = (phase: string): void =>
      context.progress({
        phase,
        done,
        total: Math.max(totals.count, done),
        bytes_done: bytesDone,
        bytes_total: Math.max(totals.size, bytesDone),
      });
    progress('copy');
    const rate = new ByteRate(maxRate);
    const problems: MigrationProblem[] = [];
    const migrate = async (object: PurgingObject): Promise<void> => {
      context.throwIfStopped();
      const outcome = await migrateObject(object, backends, this.copies, { signal: context.signal, rate });
      switch (outcome.kind) {
        case 'copied':
          report.copied += 1;
          report.copied_bytes += object.size;
          break;
        case 'already_migrated':
          report.already_migrated += 1;
          break;
        case 'purged':
          report.purged += 1;
          break;
        case 'missing':
        case 'corrupt':
        case 'failed':
          report[outcome.kind] += 1;
          problems.push({
            oid: object.oid,
            size: object.size,
            reason: outcome.kind,
            ...(outcome.message === undefined ? {} : { message: outcome.message }),
          });
          this.logger.warn(
            `storage migration: ${object.oid} ${outcome.kind}${outcome.message ? `: ${outcome.message}` : ''}`,
          );
          break;
      }
      done += 1;
      bytesDone += object.size;
      progress('copy');
    };
    try {
      let afterId = '0';
      for (;;) {
        context.throwIfStopped();
        const page = await this.copies.findPresentObjects(afterId, PAGE);
        await eachBounded(page, concurrency, migrate);
        if (page.length < PAGE) {
          break;
        }
        afterId = page[page.length - 1]?.id ?? afterId;
      }
    } catch (error) {
      // The signal's reason is the runner's, not a copy's: report it as the job stopping.
      context.throwIfStopped();
      throw error;
    }
    report.remaining = report.missing + report.corrupt + report.failed;
    report.problems = problems
      .sort((a, b) => (a.oid < b.oid ? -1 : a.oid > b.oid ? 1 : 0))
      .slice(0, MIGRATION_PROBLEMS_NAMED);
    progress('done');
    this.logger.log(
      `storage migration from ${report.from} to ${report.to}: ${report.copied} copied (${report.copied_bytes} bytes), ${report.already_migrated} already there, ${report.remaining} remaining`,
    );
    return report;
  }

  private backends(): { primary: ObjectStorage; fallback: ObjectStorage } {
    if (!(this.storage instanceof FallbackStorage) || this.config.storageFallback === null) {
      throw new DomainError(
        ErrorCode.VALIDATION_FAILED,
        'STORAGE_FALLBACK is not set on this API instance: set STORAGE to the new backend and STORAGE_FALLBACK to the old one, restart, then migrate',
      );
    }
    return { primary: this.storage.primary, fallback: this.storage.fallback };
  }
}

function parseParams(body: unknown): StorageMigrationParams {
  const { concurrency, max_bytes_per_second: maxRate } = (
    typeof body === 'object' && body !== null ? body : {}
  ) as Record<string, unknown>;
  if (
    concurrency !== undefined &&
    (!Number.isSafeInteger(concurrency) ||
      (concurrency as number) < 1 ||
      (concurrency as number) > MAX_CONCURRENCY)
  ) {
    throw new DomainError(
      ErrorCode.VALIDATION_FAILED,
      `concurrency must be an integer from 1 to ${MAX_CONCURRENCY}`,
    );
  }
  if (
    maxRate !== undefined &&
    maxRate !== null &&
    (!Number.isSafeInteger(maxRate) || (maxRate as number) < 1)
  ) {
    throw new DomainError(ErrorCode.VALIDATION_FAILED, 'max_bytes_per_second must be a positive integer');
  }
  return {
    concurrency: (concurrency as number | undefined) ?? DEFAULT_CONCURRENCY,
    max_bytes_per_second: (maxRate as number | null | undefined) ?? null,
  };
}

/** Runs `work` over `items`, at most `limit` at a time; the first failure stops taking new items and is thrown. */
async function eachBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = results.find((result) => result.status === 'rejected');
  if (rejected) {
    throw rejected.reason;
  }
}
