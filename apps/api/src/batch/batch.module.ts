import { Module } from '@nestjs/common';

import { AuthModule } from '../auth/auth.module.js';
import { ObjectsModule } from '../objects/objects.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { BatchController } from './batch.controller.js';
import { BatchService } from './batch.service.js';

@Module({
  imports: [AuthModule, ProjectsModule, ObjectsModule],
  controllers: [BatchController],
  providers: [BatchService],
})
export class BatchModule {}
