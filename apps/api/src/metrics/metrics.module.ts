import { Global, Module } from '@nestjs/common';

import { ApiMetrics } from './api-metrics.js';

@Global()
@Module({ providers: [ApiMetrics], exports: [ApiMetrics] })
export class MetricsModule {}
