import { Module } from '@nestjs/common';

import { AuthModule } from '../auth/auth.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { LfsAuthenticateController } from './lfs-authenticate.controller.js';
import { LfsAuthenticateService } from './lfs-authenticate.service.js';

/** Endpoints a git platform's backend calls on behalf of its users (SSH `git-lfs-authenticate`). */
@Module({
  imports: [AuthModule, ProjectsModule],
  controllers: [LfsAuthenticateController],
  providers: [LfsAuthenticateService],
})
export class PlatformModule {}
