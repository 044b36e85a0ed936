import { Module } from '@nestjs/common';

import { AuthModule } from '../auth/auth.module.js';
import { ObjectsModule } from '../objects/objects.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { InternalUploadsController } from './internal-uploads.controller.js';
import { TransferAuthorizer } from './transfer-authorizer.js';
import { UploadsService } from './uploads.service.js';
import { VerifyController } from './verify.controller.js';

@Module({
  imports: [AuthModule, ProjectsModule, ObjectsModule],
  controllers: [InternalUploadsController, VerifyController],
  providers: [TransferAuthorizer, UploadsService],
})
export class UploadsModule {}
