import { Module } from '@nestjs/common';

import { AuthModule } from '../auth/auth.module.js';
import { ObjectsModule } from '../objects/objects.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { PlatformTokensAdminController } from './platform-tokens-admin.controller.js';
import { PlatformTokensAdminService } from './platform-tokens-admin.service.js';
import { ProjectObjectsAdminController } from './project-objects-admin.controller.js';
import { ProjectObjectsAdminService } from './project-objects-admin.service.js';
import { ProjectsAdminController } from './projects-admin.controller.js';
import { ProjectsAdminService } from './projects-admin.service.js';
import { UsersAdminController } from './users-admin.controller.js';
import { UsersAdminService } from './users-admin.service.js';

@Module({
  imports: [AuthModule, ProjectsModule, ObjectsModule],
  controllers: [
    UsersAdminController,
    ProjectsAdminController,
    ProjectObjectsAdminController,
    PlatformTokensAdminController,
  ],
  providers: [
    UsersAdminService,
    ProjectsAdminService,
    ProjectObjectsAdminService,
    PlatformTokensAdminService,
  ],
})
export class AdminModule {}
