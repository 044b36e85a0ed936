import { Module } from '@nestjs/common';

import { AuthModule } from '../auth/auth.module.js';
import { LocksModule } from '../locks/locks.module.js';
import { ObjectsModule } from '../objects/objects.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { PushCheckController } from './push-check.controller.js';
import { PushCheckService } from './push-check.service.js';

@Module({
  imports: [AuthModule, ProjectsModule, ObjectsModule, LocksModule],
  controllers: [PushCheckController],
  providers: [PushCheckService],
})
export class PushCheckModule {}
