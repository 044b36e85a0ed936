import { Module } from '@nestjs/common';

import { AuthModule } from '../auth/auth.module.js';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics.controller.js';

@Module({ imports: [AuthModule], controllers: [HealthController, MetricsController] })
export class HealthModule {}
