import { setTimeout as sleep } from 'node:timers/promises';

import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Config } from '@lfs-depot/config';
import type { GcReport, JobView } from '@lfs-depot/contracts';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';
import { DataSource } from 'typeorm';

import type { AuditContext } from '../audit/audit-context.js';
import { systemAuditContext } from '../audit/audit-context.js';
import { AuditService } from '../audit/audit.service.js';
import { CONFIG } from '../core/api-runtime.js';
import type { JobContext } from '../jobs/job-runner.js';
import { JobRunner } from '../jobs/job-runner.js';
import { JobsRepository } from '../jobs/jobs.repository.js';
import { ObjectPurger } from '../objects/object-purger.js';
import { ObjectsRepository, UNLINK_CHUNK } from '../objects/objects.repository.js';
import { ReferencesRepository } from '../objects/references.repository.js';
import { ProjectsRepository } from '../projects/projects.repository.js';

/** The PostgreSQL advisory lock key that one collection at a time holds, across every instance. */
const GC_LOCK_KEY = 0x6c667367; // "lfsg"

/** Purge candidates read per query. */
const PURGE_PAGE = 500;

/** Oids named in one gc.unlink audit event, at most (the event still counts them all). */
const AUDITED_OIDS = 100;

export interface GcParams {
  projectId: string | null;
  projectPath: string | null;
  dryRun: boolean;
}

/**
 * Garbage collection in two phases (README "Garbage collection"). Phase 1 unlinks, in each project that has a
 * reference snapshot, the links the snapshot does not reference that are older than it by more than
 * GC_LINK_GRACE, statistics and audit event in the same transaction. Phase 2 purges the objects no project has
 * linked for GC_PURGE_GRACE (ObjectPurger: bytes, then row); for one project, only those it was the last to link.
 * One collection runs at a time across instances.
 */
@Injectable()
export class GcService {
  private readonly logger = new Logger(GcService.name);

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly dataSource: DataSource,
    private readonly projects: ProjectsRepository,
    private readonly objects: ObjectsRepository,
    private readonly references: ReferencesRepository,
    private readonly purger: ObjectPurger,
    private readonly audit: AuditService,
    private readonly jobs: JobsRepository,
    private readonly runner: JobRunner,
  ) {}

  /** Queues a collection (`POST /api/v1/gc`, audited as `gc.start`) and wakes this instance's runner. */
  async startGc(body: unknown, context: AuditContext): Promise<JobView> {
    const { project, dry_run: dryRun } = (typeof body === 'object' && body !== null ? body : {}) as Record<
      string,
      unknown
    >;
    if (project !== undefined && project !== null && typeof project !== 'string') {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, 'project must be a project path');
    }
    if (dryRun !== undefined && typeof dryRun !== 'boolean') {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, 'dry_run must be true or false');
    }
    if (typeof project === 'string' && !(await this.projects.findProjectByPath(project))) {
      throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, `Project '${project}' not found`);
    }
    const params = { project: typeof project === 'string' ? project : null, dry_run: dryRun === true };
    const job = await this.audit.transaction(async (tx) => {
      const queued = await this.jobs.createJob('gc', params, tx);
      await this.audit.record(tx, context, {
        action: 'gc.start',
        target: { type: 'job', id: queued.id, name: 'gc' },
        project: params.project,
        details: params,
      });
      return queued;
    });
    this.runner.wake();
    return job;
  }

  /** Queues a collection unless one is queued or running (GC_INTERVAL). */
  async scheduleGc(): Promise<void> {
    if (await this.jobs.createJobUnlessActive('gc', { project: null, dry_run: false })) {
      this.runner.wake();
    }
  }

  /** The job handler: parameters as stored by startGc. */
  async runJob(params: Record<string, unknown>, context: JobContext): Promise<GcReport> {
    const projectPath = typeof params.project === 'string' ? params.project : null;
    const project = projectPath === null ? null : await this.projects.findProjectByPath(projectPath);
    if (projectPath !== null && !project) {
      throw new DomainError(ErrorCode.PROJECT_NOT_FOUND, `Project '${projectPath}' not found`);
    }
    return this.collect(
      { projectId: project?.id ?? null, projectPath, dryRun: params.dry_run === true },
      context,
    );
  }

  /** One collection, under the advisory lock (waits, cancellably, while another instance holds it). */
  async collect(params: GcParams, context: JobContext): Promise<GcReport> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      for (;;) {
        const rows = (await runner.query(`SELECT pg_try_advisory_lock($1) AS locked`, [GC_LOCK_KEY])) as {
          locked: boolean;
        }[];
        if (rows[0]?.locked) {
          break;
        }
        context.progress({ phase: 'waiting for another collection', done: 0, total: null });
        await sleep(1000, undefined, { signal: context.signal }).catch(() => undefined);
        context.throwIfStopped();
      }
      try {
        return await this.collectLocked(params, context);
      } finally {
        await runner.query(`SELECT pg_advisory_unlock($1)`, [GC_LOCK_KEY]);
      }
    } finally {
      await runner.release();
    }
  }

  private async collectLocked(params: GcParams, context: JobContext): Promise<GcReport> {
    const { linkGraceMs, purgeGraceMs } = this.config.gc;
    const auditContext = systemAuditContext('gc');
    const report: GcReport = {
      dry_run: params.dryRun,
      project: params.projectPath,
      projects_examined: 0,
      unlinked: 0,
      unlinked_size: 0,
      purged: 0,
      purged_size: 0,
    };
    const projects = await this.references.findProjectsWithSnapshot(params.projectId ?? undefined);
    for (const [index, project] of projects.entries()) {
      context.progress({ phase: 'unlink', done: index, total: projects.length });
      context.throwIfStopped();
      if (params.dryRun) {
        const { count, size } = await this.objects.countUnreferenced(project.id, linkGraceMs);
        report.unlinked += count;
        report.unlinked_size += size;
      } else {
        for (;;) {
          context.throwIfStopped();
          const { count, size } = await this.unlinkChunk(project, linkGraceMs, auditContext);
          report.unlinked += count;
          report.unlinked_size += size;
          if (count < UNLINK_CHUNK) {
            break;
          }
        }
      }
      report.projects_examined += 1;
    }
    const unlinkedBefore = new Date(Date.now() - purgeGraceMs);
    // For one project, phase 2 purges only the bytes whose last link was that project's.
    const scope = params.projectId ?? undefined;
    if (params.dryRun) {
      const { count, size } = await this.objects.countPurgeCandidates(unlinkedBefore, scope);
      report.purged = count;
      report.purged_size = size;
      context.progress({ phase: 'done', done: projects.length, total: projects.length });
      return report;
    }
    await this.objects.stampUnlinkedObjects();
    const leftovers = await this.purger.recordLeftovers();
    if (leftovers > 0) {
      this.logger.log(
        `gc: recorded ${leftovers} refused upload(s) written while their object was being purged`,
      );
    }
    let afterId = '0';
    for (;;) {
      const candidates = await this.objects.findPurgeCandidates(unlinkedBefore, afterId, PURGE_PAGE, scope);
      for (const candidate of candidates) {
        context.progress({ phase: 'purge', done: report.purged, total: null });
        context.throwIfStopped();
        const purged = await this.purger.purge(
          candidate.id,
          unlinkedBefore,
          { context: auditContext, action: 'gc.purge' },
          scope,
        );
        if (purged) {
          report.purged += 1;
          report.purged_size += purged.size;
        }
        afterId = candidate.id;
      }
      if (candidates.length < PURGE_PAGE) {
        break;
      }
    }
    context.progress({ phase: 'done', done: report.purged, total: report.purged });
    this.logger.log(
      `gc: unlinked ${report.unlinked} link(s) in ${report.projects_examined} project(s), purged ${report.purged} object(s) (${report.purged_size} bytes)`,
    );
    return report;
  }

  private unlinkChunk(
    project: { id: string; path: string },
    linkGraceMs: number,
    auditContext: AuditContext,
  ): Promise<{ count: number; size: number }> {
    return this.audit.transaction(async (tx) => {
      const result = await this.objects.unlinkUnreferenced(project.id, linkGraceMs, UNLINK_CHUNK, tx);
      if (result.count > 0) {
        await this.audit.record(tx, auditContext, {
          action: 'gc.unlink',
          target: { type: 'project', id: project.id, name: project.path },
          project: project.path,
          details: {
            count: result.count,
            size: result.size,
            oids: result.objects.slice(0, AUDITED_OIDS).map((object) => object.oid),
          },
        });
      }
      return { count: result.count, size: result.size };
    });
  }
}
