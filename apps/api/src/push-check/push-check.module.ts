import { Module } from '@nestjs/common';

import { AuthModule } from '../auth/auth.module.js';
import { PushCheckController } from './push-check.controller.js';
import { PushCheckRepository } from './push-check.repository.js';
import { PushCheckService } from './push-check.service.js';

@Module({
  imports: [AuthModule],
  controllers: [PushCheckController],
  providers: [PushCheckRepository, PushCheckService],
})
export class PushCheckModule {}
