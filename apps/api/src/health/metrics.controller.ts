import { Controller, Get, Headers, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { METRICS_CONTENT_TYPE } from '@lfs-depot/observability';

import { MetricsGuard } from '../auth/metrics.guard.js';
import { ApiExcludeController } from '../http/openapi.decorator.js';
import { ApiMetrics } from '../metrics/api-metrics.js';

/**
 * The API's metrics, for the proxy to serve with its own at the public /metrics (it asks for JSON and merges), or
 * in Prometheus text for whoever scrapes the API's port directly.
 */
@ApiExcludeController()
@UseGuards(MetricsGuard)
@Controller()
export class MetricsController {
  constructor(private readonly metrics: ApiMetrics) {}

  @Get('metrics')
  async render(
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string | object> {
    if (accept === 'application/json') {
      res.type('application/json');
      return this.metrics.snapshot();
    }
    res.type(METRICS_CONTENT_TYPE);
    return this.metrics.render();
  }
}
