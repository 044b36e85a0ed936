import { Injectable } from '@nestjs/common';
import type { JobKind, JobsPageView, JobState, JobView } from '@lfs-depot/contracts';
import { DEFAULT_PAGE_LIMIT, DomainError, ErrorCode } from '@lfs-depot/contracts';

import type { AuditContext } from '../audit/audit-context.js';
import { AuditService } from '../audit/audit.service.js';
import { decodeCursor, encodeCursor, isRowId } from '../core/page-cursor.js';
import { JobRunner } from '../jobs/job-runner.js';
import { JobsRepository } from '../jobs/jobs.repository.js';

function notFound(id: string): DomainError {
  return new DomainError(ErrorCode.JOB_NOT_FOUND, `Job ${id} not found`);
}

/** The jobs API. Each call also wakes this instance's runner, so that a job whose instance died is taken over. */
@Injectable()
export class JobsAdminService {
  constructor(
    private readonly jobs: JobsRepository,
    private readonly runner: JobRunner,
    private readonly audit: AuditService,
  ) {}

  async listJobs(query: {
    limit?: number;
    cursor?: string;
    state?: JobState;
    kind?: JobKind;
  }): Promise<JobsPageView> {
    this.runner.wake();
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const page = await this.jobs.listJobs({
      limit,
      beforeId: query.cursor === undefined ? undefined : decodeCursor('jobs', query.cursor, isRowId),
      state: query.state,
      kind: query.kind,
    });
    return {
      jobs: page.jobs,
      next_cursor: page.nextCursor === null ? null : encodeCursor('jobs', page.nextCursor),
    };
  }

  async getJob(id: string): Promise<JobView> {
    this.runner.wake();
    const job = await this.jobs.findJob(id);
    if (!job) {
      throw notFound(id);
    }
    return job;
  }

  /** Audited (`job.cancel`) when it asked a queued or running job to stop. */
  async cancelJob(id: string, context: AuditContext): Promise<JobView> {
    const cancelled = await this.audit.transaction(async (tx) => {
      const answer = await this.jobs.requestCancel(id, tx);
      if (answer?.requested) {
        await this.audit.record(tx, context, {
          action: 'job.cancel',
          target: { type: 'job', id: answer.job.id, name: answer.job.kind },
          project: typeof answer.job.params.project === 'string' ? answer.job.params.project : null,
          details: { state: answer.job.state },
        });
      }
      return answer;
    });
    this.runner.wake();
    if (!cancelled) {
      throw notFound(id);
    }
    return cancelled.job;
  }
}
