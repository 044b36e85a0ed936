import { Module } from '@nestjs/common';

import { JobRunner } from './job-runner.js';
import { JobsRepository } from './jobs.repository.js';
import { RequestJobs } from './request-jobs.js';

@Module({
  providers: [JobsRepository, JobRunner, RequestJobs],
  exports: [JobsRepository, JobRunner, RequestJobs],
})
export class JobsModule {}
