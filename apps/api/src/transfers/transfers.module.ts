import { Module } from '@nestjs/common';

import { AuthModule } from '../auth/auth.module.js';
import { ObjectsModule } from '../objects/objects.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { DirectUploadsService } from './direct-uploads.service.js';
import { InternalTransfersController } from './internal-transfers.controller.js';
import { StagedUploadSweeper } from './staged-upload-sweeper.js';
import { TransferAuthorizer } from './transfer-authorizer.js';
import { TransfersService } from './transfers.service.js';
import { UploadLinker } from './upload-linker.js';
import { VerifyController } from './verify.controller.js';

@Module({
  imports: [AuthModule, ProjectsModule, ObjectsModule],
  controllers: [InternalTransfersController, VerifyController],
  providers: [TransferAuthorizer, TransfersService, DirectUploadsService, StagedUploadSweeper, UploadLinker],
})
export class TransfersModule {}
