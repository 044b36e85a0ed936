import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Inject, Logger, Module } from '@nestjs/common';
import type { Config } from '@lfs-depot/config';

import { AuthModule } from '../auth/auth.module.js';
import { CONFIG } from '../core/api-runtime.js';
import { JobRunner } from '../jobs/job-runner.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { ObjectsModule } from '../objects/objects.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { ScrubController } from './scrub.controller.js';
import { ScrubService } from './scrub.service.js';

/** Scrub: the `scrub` job kind, `POST /api/v1/scrub`, and the SCRUB_INTERVAL sample schedule. */
@Module({
  imports: [AuthModule, ProjectsModule, ObjectsModule, JobsModule],
  controllers: [ScrubController],
  providers: [ScrubService],
})
export class ScrubModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ScrubSchedule');
  private schedule: NodeJS.Timeout | undefined;

  constructor(
    private readonly scrub: ScrubService,
    private readonly runner: JobRunner,
    @Inject(CONFIG) private readonly config: Config,
  ) {
    // Registered before any module's bootstrap hook: the runner may claim a queued scrub as soon as it starts.
    this.runner.register('scrub', { run: (params, context) => this.scrub.runJob(params, context) });
  }

  onApplicationBootstrap(): void {
    const interval = this.config.scrub.intervalMs;
    if (interval === null) {
      return;
    }
    this.runner.keepPolling();
    this.schedule = setInterval(() => {
      this.scrub
        .scheduleScrub()
        .catch((error: unknown) => this.logger.warn(`Could not queue scrub: ${String(error)}`));
    }, interval);
    this.schedule.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.schedule);
  }
}
