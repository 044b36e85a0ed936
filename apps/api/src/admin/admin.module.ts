import { Module } from '@nestjs/common';

import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { LocksModule } from '../locks/locks.module.js';
import { ObjectsModule } from '../objects/objects.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { AuditAdminController } from './audit-admin.controller.js';
import { AuditAdminService } from './audit-admin.service.js';
import { JobsAdminController } from './jobs-admin.controller.js';
import { JobsAdminService } from './jobs-admin.service.js';
import { ObjectDeletionService } from './object-deletion.service.js';
import { ObjectsAdminController } from './objects-admin.controller.js';
import { PlatformTokensAdminController } from './platform-tokens-admin.controller.js';
import { PlatformTokensAdminService } from './platform-tokens-admin.service.js';
import { ProjectLocksAdminController } from './project-locks-admin.controller.js';
import { ProjectLocksAdminService } from './project-locks-admin.service.js';
import { ProjectObjectsAdminController } from './project-objects-admin.controller.js';
import { ProjectObjectsAdminService } from './project-objects-admin.service.js';
import { ProjectsAdminController } from './projects-admin.controller.js';
import { ProjectsAdminService } from './projects-admin.service.js';
import { UsersAdminController } from './users-admin.controller.js';
import { UsersAdminService } from './users-admin.service.js';

@Module({
  imports: [AuthModule, ProjectsModule, ObjectsModule, LocksModule, AuditModule, JobsModule],
  controllers: [
    UsersAdminController,
    ProjectsAdminController,
    ProjectObjectsAdminController,
    ProjectLocksAdminController,
    PlatformTokensAdminController,
    AuditAdminController,
    ObjectsAdminController,
    JobsAdminController,
  ],
  providers: [
    UsersAdminService,
    ProjectsAdminService,
    ProjectObjectsAdminService,
    ProjectLocksAdminService,
    PlatformTokensAdminService,
    AuditAdminService,
    ObjectDeletionService,
    JobsAdminService,
  ],
})
export class AdminModule {}
