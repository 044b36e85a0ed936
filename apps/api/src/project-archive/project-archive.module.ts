import { Module } from '@nestjs/common';

import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { ObjectsModule } from '../objects/objects.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { ProjectArchiveController } from './project-archive.controller.js';
import { ProjectExportService } from './project-export.service.js';
import { ProjectImportService } from './project-import.service.js';

/** Project export and import (`lfs-depot projects export|import`), each request its own job. */
@Module({
  imports: [AuthModule, AuditModule, ProjectsModule, ObjectsModule, JobsModule],
  controllers: [ProjectArchiveController],
  providers: [ProjectExportService, ProjectImportService],
})
export class ProjectArchiveModule {}
