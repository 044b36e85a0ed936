import { Module } from '@nestjs/common';

import { AuthModule } from '../auth/auth.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { ProjectsAdminController } from './projects-admin.controller.js';
import { ProjectsAdminService } from './projects-admin.service.js';
import { UsersAdminController } from './users-admin.controller.js';
import { UsersAdminService } from './users-admin.service.js';

@Module({
  imports: [AuthModule, ProjectsModule],
  controllers: [UsersAdminController, ProjectsAdminController],
  providers: [UsersAdminService, ProjectsAdminService],
})
export class AdminModule {}
