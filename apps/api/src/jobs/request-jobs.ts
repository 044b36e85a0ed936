import { randomBytes } from 'node:crypto';
import os from 'node:os';

import type { OnApplicationShutdown } from '@nestjs/common';
import { Injectable, Logger } from '@nestjs/common';
import type { JobProgress } from '@lfs-depot/contracts';
import { REQUEST_JOB_KINDS } from '@lfs-depot/contracts';

import { HEARTBEAT_MS } from './job-runner.js';
import { JobsRepository } from './jobs.repository.js';

type RequestJobKind = (typeof REQUEST_JOB_KINDS)[number];

/** A request's job while it runs: progress goes out with the heartbeat, a cancel aborts `signal`. */
export interface RequestJob {
  readonly id: string;
  /** Aborted when the job is cancelled through the jobs API (or lost: its row no longer says it runs here). */
  readonly signal: AbortSignal;
  progress(progress: JobProgress): void;
  succeed(result: object): Promise<void>;
  fail(error: unknown): Promise<void>;
}

/**
 * Jobs that one request runs itself: a project export (the answer is the stream) and an import (the body is). They
 * show up in the jobs list with their progress and can be cancelled like any job, but no runner claims them: the
 * request does the work where it arrived, and when the request ends (or its instance stops) so does the job.
 */
@Injectable()
export class RequestJobs implements OnApplicationShutdown {
  private readonly logger = new Logger(RequestJobs.name);
  private readonly owner = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}:requests`;
  private readonly running = new Set<{ finish: () => Promise<void> }>();

  constructor(private readonly jobs: JobsRepository) {}

  async start(kind: RequestJobKind, params: Record<string, unknown>): Promise<RequestJob> {
    const view = await this.jobs.createRunningJob(kind, params, this.owner);
    const controller = new AbortController();
    let progress: JobProgress | null = null;
    let ended = false;
    const beat = setInterval(() => {
      void this.jobs.heartbeat(view.id, this.owner, progress).then(
        ({ owned, cancelRequested }) => {
          if (!owned || cancelRequested) {
            controller.abort();
          }
        },
        (error: unknown) => this.logger.warn(`Job ${view.id} heartbeat failed: ${String(error)}`),
      );
    }, HEARTBEAT_MS);
    beat.unref();
    const finish = async (outcome: {
      state: 'succeeded' | 'failed' | 'cancelled';
      result?: unknown;
      error?: string;
    }): Promise<void> => {
      if (ended) {
        return;
      }
      ended = true;
      clearInterval(beat);
      this.running.delete(entry);
      await this.jobs.finishJob(view.id, this.owner, outcome, progress);
    };
    const entry = {
      finish: () => finish({ state: 'failed', error: 'The API shut down while the request was running' }),
    };
    this.running.add(entry);
    return {
      id: view.id,
      signal: controller.signal,
      progress: (next) => {
        progress = next;
      },
      succeed: (result) => finish({ state: 'succeeded', result }),
      fail: (error) =>
        finish(
          controller.signal.aborted
            ? { state: 'cancelled' }
            : { state: 'failed', error: error instanceof Error ? error.message : String(error) },
        ),
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.running].map((job) => job.finish().catch(() => undefined)));
  }
}
