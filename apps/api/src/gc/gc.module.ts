import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Inject, Logger, Module } from '@nestjs/common';
import type { Config } from '@lfs-depot/config';

import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { CONFIG } from '../core/api-runtime.js';
import { JobRunner } from '../jobs/job-runner.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { ObjectsModule } from '../objects/objects.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { GcController } from './gc.controller.js';
import { GcService } from './gc.service.js';

/** Garbage collection: the `gc` job kind, `POST /api/v1/gc`, and the GC_INTERVAL schedule. */
@Module({
  imports: [AuthModule, AuditModule, ProjectsModule, ObjectsModule, JobsModule],
  controllers: [GcController],
  providers: [GcService],
})
export class GcModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('GcSchedule');
  private schedule: NodeJS.Timeout | undefined;

  constructor(
    private readonly gc: GcService,
    private readonly runner: JobRunner,
    @Inject(CONFIG) private readonly config: Config,
  ) {
    // Registered before any module's bootstrap hook: the runner may claim a queued gc job as soon as it starts.
    this.runner.register('gc', { run: (params, context) => this.gc.runJob(params, context) });
  }

  onApplicationBootstrap(): void {
    const interval = this.config.gc.intervalMs;
    if (interval === null) {
      return;
    }
    this.runner.keepPolling();
    this.schedule = setInterval(() => {
      this.gc
        .scheduleGc()
        .catch((error: unknown) => this.logger.warn(`Could not queue gc: ${String(error)}`));
    }, interval);
    this.schedule.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.schedule);
  }
}
