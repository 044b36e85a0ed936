import { Module } from '@nestjs/common';

import { JobRunner } from './job-runner.js';
import { JobsRepository } from './jobs.repository.js';

@Module({ providers: [JobsRepository, JobRunner], exports: [JobsRepository, JobRunner] })
export class JobsModule {}
