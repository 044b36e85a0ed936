import { Module } from '@nestjs/common';

import { AuthModule } from '../auth/auth.module.js';
import { ObjectsModule } from '../objects/objects.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { InternalTransfersController } from './internal-transfers.controller.js';
import { TransferAuthorizer } from './transfer-authorizer.js';
import { TransfersService } from './transfers.service.js';
import { VerifyController } from './verify.controller.js';

@Module({
  imports: [AuthModule, ProjectsModule, ObjectsModule],
  controllers: [InternalTransfersController, VerifyController],
  providers: [TransferAuthorizer, TransfersService],
})
export class TransfersModule {}
