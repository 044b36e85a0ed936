import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Config } from '@lfs-depot/config';
import type { JobView, ScrubProblem, ScrubReport } from '@lfs-depot/contracts';
import { DomainError, ErrorCode, isValidOid, SCRUB_REPORTED_PROBLEMS } from '@lfs-depot/contracts';
import type { ObjectStorage } from '@lfs-depot/storage';
import {
  ByteRateLimiter,
  checkStoredObject,
  MULTIPART_UPLOAD_MAX_AGE_MS,
  TEMP_FILE_MAX_AGE_MS,
} from '@lfs-depot/storage';

import { CONFIG, OBJECT_STORAGE } from '../core/api-runtime.js';
import type { JobContext } from '../jobs/job-runner.js';
import { JobRunner } from '../jobs/job-runner.js';
import { JobsRepository } from '../jobs/jobs.repository.js';
import { ApiMetrics } from '../metrics/api-metrics.js';
import { ObjectDamageRepository } from '../objects/object-damage.repository.js';
import type { ScrubbedObject } from '../objects/object-damage.repository.js';
import { ProjectsRepository } from '../projects/projects.repository.js';

/** Object rows read per query. */
const ROW_PAGE = 200;
/** Storage keys looked up per query when looking for bytes without a row. */
const KEY_PAGE = 500;

export interface ScrubParams {
  sample: number;
  projectId: string | null;
  projectPath: string | null;
  repair: boolean;
  bytesPerSecond: number | null;
}

/** The problems of one scrub: all counted, the first SCRUB_REPORTED_PROBLEMS named (a report's memory is bounded). */
class ProblemLog {
  constructor(private readonly report: ScrubReport) {}

  add(problem: ScrubProblem): void {
    this.report.counts[problem.kind] += 1;
    if (this.report.problems.length < SCRUB_REPORTED_PROBLEMS) {
      this.report.problems.push(problem);
    } else {
      this.report.problems_truncated = true;
    }
  }
}

/** The oid a storage key names, when its last segment is one (objectKey's layout); else null. */
function oidOfKey(key: string): string | null {
  const last = key.slice(key.lastIndexOf('/') + 1);
  return isValidOid(last) ? last : null;
}

/**
 * Scrub (README "Scrub"): re-hashes the stored bytes of object rows (all, a random sample, or one project's),
 * streaming and optionally rate-limited; lists storage for bytes no row knows and for upload leftovers. With repair,
 * a row whose bytes are missing or corrupt is marked damaged under its row lock after a second look (so a purge or
 * a healing upload in between is never mistaken for damage), corrupt bytes are moved aside, and leftovers removed.
 */
@Injectable()
export class ScrubService {
  private readonly logger = new Logger(ScrubService.name);

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly projects: ProjectsRepository,
    private readonly damage: ObjectDamageRepository,
    private readonly jobs: JobsRepository,
    private readonly runner: JobRunner,
    private readonly metrics: ApiMetrics,
  ) {}

  /** Queues a scrub (`POST /api/v1/scrub`) and wakes this instance's runner. */
  async startScrub(body: unknown): Promise<JobView> {
    const {
      sample,
      project,
      repair,
      rate_bytes_per_second: rate,
    } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (sample !== undefined && (typeof sample !== 'number' || !(sample > 0 && sample <= 1))) {
      throw new DomainError(
        ErrorCode.VALIDATION_FAILED,
        'sample must be a number greater than 0 and at most 1',
      );
    }
    if (project !== undefined && project !== null && typeof project !== 'string') {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, 'project must be a project path');
    }
    if (repair !== undefined && typeof repair !== 'boolean') {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, 'repair must be true or false');
    }
    if (rate !== undefined && rate !== null && (!Number.isSafeInteger(rate) || (rate as number) < 1)) {
      throw new DomainError(
        ErrorCode.VALIDATION_FAILED,
        'rate_bytes_per_second must be a positive integer, or null for no limit',
      );
    }
    if (typeof project === 'string' && !(await this.projects.findProjectByPath(project))) {
      throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, `Project '${project}' not found`);
    }
    const job = await this.jobs.createJob('scrub', {
      sample: sample ?? 1,
      project: typeof project === 'string' ? project : null,
      repair: repair === true,
      rate_bytes_per_second: rate ?? null,
    });
    this.runner.wake();
    return job;
  }

  /** Queues a sample scrub without repair (SCRUB_INTERVAL) unless one is queued or running. */
  async scheduleScrub(): Promise<void> {
    const { sample, bytesPerSecond } = this.config.scrub;
    const job = await this.jobs.createJobUnlessActive('scrub', {
      sample,
      project: null,
      repair: false,
      rate_bytes_per_second: bytesPerSecond,
    });
    if (job) {
      this.runner.wake();
    }
  }

  /** The job handler: parameters as stored by startScrub. */
  async runJob(params: Record<string, unknown>, context: JobContext): Promise<ScrubReport> {
    const projectPath = typeof params.project === 'string' ? params.project : null;
    const project = projectPath === null ? null : await this.projects.findProjectByPath(projectPath);
    if (projectPath !== null && !project) {
      throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, `Project '${projectPath}' not found`);
    }
    const rate = params.rate_bytes_per_second;
    const report = await this.scrub(
      {
        sample: typeof params.sample === 'number' ? params.sample : 1,
        projectId: project?.id ?? null,
        projectPath,
        repair: params.repair === true,
        bytesPerSecond: typeof rate === 'number' && rate > 0 ? rate : null,
      },
      context,
    );
    for (const [kind, count] of Object.entries(report.counts)) {
      this.metrics.scrubProblems.set({ kind }, count);
    }
    this.metrics.scrubChecked.set(report.checked);
    this.metrics.scrubFinished.set(Date.now() / 1000);
    const problems = Object.values(report.counts).reduce((sum, count) => sum + count, 0);
    const summary = `scrub: ${report.checked} object(s) re-hashed, ${problems} problem(s) (${JSON.stringify(report.counts)})`;
    if (problems > 0) {
      this.logger.warn(summary);
    } else {
      this.logger.log(summary);
    }
    return report;
  }

  async scrub(params: ScrubParams, context: JobContext): Promise<ScrubReport> {
    const report: ScrubReport = {
      sample: params.sample,
      project: params.projectPath,
      repair: params.repair,
      checked: 0,
      checked_size: 0,
      damaged: 0,
      counts: { missing: 0, corrupt: 0, orphan: 0, temp: 0 },
      problems: [],
      problems_truncated: false,
    };
    const log = new ProblemLog(report);
    const limiter = params.bytesPerSecond === null ? undefined : new ByteRateLimiter(params.bytesPerSecond);
    await this.scrubRows(params, context, report, log, limiter);
    if (params.projectId === null) {
      await this.findOrphans(context, log);
      await this.findTempLeftovers(params.repair, context, log);
    }
    context.progress({ phase: 'done', done: report.checked, total: report.checked });
    return report;
  }

  private async scrubRows(
    params: ScrubParams,
    context: JobContext,
    report: ScrubReport,
    log: ProblemLog,
    limiter: ByteRateLimiter | undefined,
  ): Promise<void> {
    let afterId = '0';
    let seen = 0;
    for (;;) {
      const page = await this.damage.findObjectsToScrub({
        afterId,
        limit: ROW_PAGE,
        projectId: params.projectId,
        sample: params.sample,
      });
      for (const object of page.objects) {
        context.progress({ phase: 'objects', done: seen, total: null });
        context.throwIfStopped();
        seen += 1;
        if (object.damage !== null) {
          // Marked by an earlier repair and not uploaded again: still a problem, nothing to re-read.
          report.damaged += 1;
          log.add({
            kind: object.damage,
            oid: object.oid,
            size: object.size,
            key: object.storageKey,
            repair: object.damage === 'corrupt' && object.quarantinedAs ? 'moved' : 'marked',
            ...(object.quarantinedAs ? { moved_to: object.quarantinedAs } : {}),
          });
          continue;
        }
        const condition = await this.check(object, context, limiter);
        if (condition === 'intact') {
          report.checked += 1;
          report.checked_size += object.size;
          continue;
        }
        const problem = await this.confirm(object, params.repair, context, limiter);
        report.checked += 1;
        report.checked_size += object.size;
        if (problem) {
          log.add(problem);
        }
      }
      if (page.lastId === null) {
        return;
      }
      afterId = page.lastId;
    }
  }

  private check(
    object: ScrubbedObject,
    context: JobContext,
    limiter: ByteRateLimiter | undefined,
  ): Promise<'intact' | 'missing' | 'corrupt'> {
    return checkStoredObject(
      this.storage,
      object.storageKey,
      { oid: object.oid, size: object.size },
      { signal: context.signal, limiter },
    );
  }

  /**
   * A second look under the row's lock: a purge commits `purging` before it deletes bytes, and an upload that heals
   * links under the same lock, so what is still wrong here is damage, not a race. Without repair nothing is marked.
   */
  private async confirm(
    object: ScrubbedObject,
    repair: boolean,
    context: JobContext,
    limiter: ByteRateLimiter | undefined,
  ): Promise<ScrubProblem | undefined> {
    let confirmed: 'missing' | 'corrupt' | undefined;
    let movedTo: string | undefined;
    const recheck = async (): Promise<'intact' | 'missing' | 'corrupt'> => {
      const condition = await this.check(object, context, limiter);
      confirmed = condition === 'intact' ? undefined : condition;
      // Without repair the lock is only held for the look: the transaction ends by throwing nothing marked.
      return repair ? condition : 'intact';
    };
    const quarantine = async (key: string): Promise<string | undefined> => {
      if (!this.storage.quarantine) {
        return undefined;
      }
      try {
        movedTo = await this.storage.quarantine(key);
      } catch (error) {
        // Marked all the same: never served again, and the rest of the scrub goes on.
        this.logger.error(`scrub: could not move the corrupt bytes of ${object.oid} aside: ${String(error)}`);
      }
      return movedTo;
    };
    const marked = await this.damage.markDamaged(object.id, recheck, quarantine);
    if (marked) {
      confirmed = marked.damage;
    }
    if (confirmed === undefined) {
      return undefined;
    }
    this.logger.warn(
      `scrub: object ${object.oid} (${object.size} bytes) is ${confirmed} in storage${marked ? `, marked damaged${movedTo ? ` and moved to ${movedTo}` : ''}` : ''}`,
    );
    return {
      kind: confirmed,
      oid: object.oid,
      size: object.size,
      key: object.storageKey,
      repair: marked ? (movedTo ? 'moved' : 'marked') : null,
      ...(movedTo ? { moved_to: movedTo } : {}),
    };
  }

  /** Bytes in storage that no row names, whatever its state (a purge removes the row after the bytes). */
  private async findOrphans(context: JobContext, log: ProblemLog): Promise<void> {
    if (!this.storage.listObjects) {
      return;
    }
    let listed = 0;
    let batch: { key: string; size: number }[] = [];
    const flush = async (): Promise<void> => {
      const known = await this.damage.findKnownKeys(batch.map((entry) => entry.key));
      for (const entry of batch) {
        if (!known.has(entry.key)) {
          log.add({
            kind: 'orphan',
            oid: oidOfKey(entry.key),
            size: entry.size,
            key: entry.key,
            repair: null,
          });
        }
      }
      batch = [];
    };
    for await (const entry of this.storage.listObjects()) {
      context.throwIfStopped();
      batch.push(entry);
      listed += 1;
      if (batch.length >= KEY_PAGE) {
        context.progress({ phase: 'storage', done: listed, total: null });
        await flush();
      }
    }
    await flush();
  }

  /** What uploads that died left behind, as old as the proxy's own sweep requires; removed with repair. */
  private async findTempLeftovers(repair: boolean, context: JobContext, log: ProblemLog): Promise<void> {
    if (!this.storage.listTempLeftovers) {
      return;
    }
    context.progress({ phase: 'temp', done: 0, total: null });
    const age = this.storage.kind === 'file' ? TEMP_FILE_MAX_AGE_MS : MULTIPART_UPLOAD_MAX_AGE_MS;
    const found: { key: string; size: number }[] = [];
    for await (const entry of this.storage.listTempLeftovers(age)) {
      context.throwIfStopped();
      found.push(entry);
      if (found.length >= SCRUB_REPORTED_PROBLEMS) {
        break;
      }
    }
    const removed =
      repair && found.length > 0 && this.storage.sweepTempFiles ? await this.storage.sweepTempFiles(age) : 0;
    for (const entry of found) {
      log.add({
        kind: 'temp',
        oid: null,
        size: entry.size,
        key: entry.key,
        repair: removed > 0 ? 'removed' : null,
      });
    }
  }
}
