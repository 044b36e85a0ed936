import { randomBytes } from 'node:crypto';
import os from 'node:os';

import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Config } from '@lfs-depot/config';
import type { JobKind, JobProgress } from '@lfs-depot/contracts';

import { CONFIG } from '../core/api-runtime.js';
import { JobsRepository } from './jobs.repository.js';
import type { ClaimedJob } from './jobs.repository.js';

/** What a job's handler is given: its parameters' owner to report progress to, and a signal to stop on. */
export interface JobContext {
  /** Aborted when the job is cancelled, lost (another instance took it over) or this instance shuts down. */
  readonly signal: AbortSignal;
  /** How many times the job was started, this time included. */
  readonly attempt: number;
  /** Reports where the job is; written with the next heartbeat. */
  progress(progress: JobProgress): void;
  /** Throws (JobStopped) once the signal is aborted: call it between steps. */
  throwIfStopped(): void;
}

/** A kind of job: it must be safe to run again from the start after an interruption (a restart runs it again). */
export interface JobHandler {
  run(params: Record<string, unknown>, context: JobContext): Promise<object>;
}

/** Thrown inside a job that has to stop (cancelled, lost, shutting down). */
export class JobStopped extends Error {
  constructor(readonly reason: 'cancelled' | 'lost' | 'shutdown') {
    super(`Job stopped (${reason})`);
    this.name = 'JobStopped';
  }
}

/** While jobs are about, how often the runner looks for queued ones. */
const POLL_MS = 1000;
/** How often a running job's heartbeat (and progress, and cancel check) is written. */
export const HEARTBEAT_MS = 2000;

/**
 * Runs the jobs table's queued jobs in this API instance, one at a time: claims one (no two instances take the
 * same), runs its handler while beating, and records the outcome. It polls only while there is work about (a job
 * queued here, active jobs found at start or by a jobs request, or GC_INTERVAL set), so an idle API sends no
 * statements of its own.
 */
@Injectable()
export class JobRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobRunner.name);
  private readonly owner = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly handlers = new Map<JobKind, JobHandler>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private current: { id: string; controller: AbortController; reason?: JobStopped['reason'] } | undefined;
  private stopped = false;
  /** Keep polling even when the queue is empty (GC_INTERVAL set: this instance schedules work). */
  private alwaysOn = false;

  constructor(
    private readonly jobs: JobsRepository,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  register(kind: JobKind, handler: JobHandler): void {
    this.handlers.set(kind, handler);
  }

  /** Keeps the runner polling for as long as the application runs. */
  keepPolling(): void {
    this.alwaysOn = true;
    this.wake();
  }

  async onApplicationBootstrap(): Promise<void> {
    // With the embedded database this is the only instance (DATA_DIR's instance lock): no running job has an owner.
    const requeued = await this.jobs.requeueStaleJobs(
      this.config.jobs.staleSeconds,
      this.owner,
      this.config.database.kind === 'embedded',
    );
    if (requeued > 0) {
      this.logger.warn(`${requeued} interrupted job(s) queued again`);
    }
    if ((await this.jobs.listJobs({ limit: 1, state: 'queued' })).jobs.length > 0 || requeued > 0) {
      this.wake();
    }
    if ((await this.jobs.listJobs({ limit: 1, state: 'running' })).jobs.length > 0) {
      this.wake();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.current) {
      this.current.reason = 'shutdown';
      this.current.controller.abort();
    }
    await this.running;
  }

  /** Starts polling (a job was queued, or someone looks at jobs): runs what is queued, recovers stale jobs. */
  wake(): void {
    if (this.stopped || this.timer !== undefined || this.running !== undefined) {
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.poll().finally(() => {
        this.running = undefined;
      });
    }, 0);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    let more: boolean;
    try {
      await this.jobs.requeueStaleJobs(this.config.jobs.staleSeconds, this.owner);
      const job = await this.jobs.claimJob(this.owner, [...this.handlers.keys()]);
      if (job) {
        await this.runJob(job);
        more = true;
      } else {
        const active = await this.jobs.listJobs({ limit: 1, state: 'running' });
        more = active.jobs.length > 0;
      }
    } catch (error) {
      this.logger.error(`Job runner: ${String(error)}`);
      more = true;
    }
    if (!this.stopped && (more || this.alwaysOn)) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.running = this.poll().finally(() => {
            this.running = undefined;
          });
        },
        more ? POLL_MS : POLL_MS * 5,
      );
      this.timer.unref();
    }
  }

  private async runJob(job: ClaimedJob): Promise<void> {
    const handler = this.handlers.get(job.kind);
    if (!handler) {
      return;
    }
    const controller = new AbortController();
    const current: { id: string; controller: AbortController; reason?: JobStopped['reason'] } = {
      id: job.id,
      controller,
    };
    this.current = current;
    let progress: JobProgress | null = null;
    const stop = (reason: JobStopped['reason']): void => {
      current.reason ??= reason;
      controller.abort();
    };
    const beat = setInterval(() => {
      void this.jobs.heartbeat(job.id, this.owner, progress).then(
        ({ owned, cancelRequested }) => {
          if (!owned) {
            stop('lost');
          } else if (cancelRequested) {
            stop('cancelled');
          }
        },
        (error: unknown) => this.logger.warn(`Job ${job.id} heartbeat failed: ${String(error)}`),
      );
    }, HEARTBEAT_MS);
    beat.unref();
    const context: JobContext = {
      signal: controller.signal,
      attempt: job.attempts,
      progress: (next) => {
        progress = next;
      },
      throwIfStopped: () => {
        if (controller.signal.aborted) {
          throw new JobStopped(current.reason ?? 'cancelled');
        }
      },
    };
    try {
      const result = await handler.run(job.params, context);
      await this.jobs.finishJob(job.id, this.owner, { state: 'succeeded', result }, progress);
    } catch (error) {
      const reason = error instanceof JobStopped ? error.reason : current.reason;
      if (reason === 'shutdown') {
        await this.jobs.releaseJob(job.id, this.owner);
      } else if (reason === 'cancelled') {
        await this.jobs.finishJob(job.id, this.owner, { state: 'cancelled' }, progress);
      } else if (reason !== 'lost') {
        this.logger.error(`Job ${job.id} (${job.kind}) failed: ${String(error)}`);
        await this.jobs.finishJob(
          job.id,
          this.owner,
          { state: 'failed', error: error instanceof Error ? error.message : String(error) },
          progress,
        );
      }
    } finally {
      clearInterval(beat);
      this.current = undefined;
    }
  }
}
