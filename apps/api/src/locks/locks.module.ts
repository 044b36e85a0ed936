import { Module } from '@nestjs/common';

import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { LocksController } from './locks.controller.js';
import { LocksRepository } from './locks.repository.js';
import { LocksService } from './locks.service.js';

@Module({
  imports: [AuthModule, ProjectsModule, AuditModule],
  controllers: [LocksController],
  providers: [LocksRepository, LocksService],
  // The push check asks the same table which of a push's paths others have locked.
  exports: [LocksRepository],
})
export class LocksModule {}
