import { Module } from '@nestjs/common';

import { ProjectAccessService } from './project-access.service.js';
import { ProjectsRepository } from './projects.repository.js';

@Module({
  providers: [ProjectsRepository, ProjectAccessService],
  exports: [ProjectsRepository, ProjectAccessService],
})
export class ProjectsModule {}
