import { Module } from '@nestjs/common';

import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { JobRunner } from '../jobs/job-runner.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { ObjectsModule } from '../objects/objects.module.js';
import { StorageMigrationController } from './storage-migration.controller.js';
import { StorageMigrationService } from './storage-migration.service.js';

/** Online migration between storage backends: the `storage-migrate` job kind and `POST /api/v1/storage/migrate`. */
@Module({
  imports: [AuthModule, AuditModule, ObjectsModule, JobsModule],
  controllers: [StorageMigrationController],
  providers: [StorageMigrationService],
})
export class StorageMigrationModule {
  constructor(migration: StorageMigrationService, runner: JobRunner) {
    // Registered before any module's bootstrap hook: the runner may claim a queued migration as soon as it starts.
    runner.register('storage-migrate', { run: (params, context) => migration.runJob(params, context) });
  }
}
