import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { ObjectStorage } from '@lfs-depot/storage';
import { DataSource } from 'typeorm';

import { SharedCache } from '../cache/shared-cache.js';
import { OBJECT_STORAGE } from '../core/api-runtime.js';
import { ApiTags } from '../http/openapi.decorator.js';
import { Public } from '../http/public.decorator.js';

type CheckResult = 'ok' | 'degraded' | 'failed';

@ApiTags('health')
@Public()
@Controller('-')
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cache: SharedCache,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
  ) {}

  /** Liveness: the process answers. */
  @Get('health')
  @HttpCode(200)
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: the database and object storage answer; a missing cache only degrades. */
  @Get('readiness')
  async readiness(
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ status: string; checks: Record<string, CheckResult> }> {
    const [database, storage, cache] = await Promise.all([
      this.dataSource
        .query('SELECT 1')
        .then((): CheckResult => 'ok')
        .catch((): CheckResult => 'failed'),
      this.storage
        .check()
        .then((): CheckResult => 'ok')
        .catch((): CheckResult => 'failed'),
      this.cache.isHealthy().then((healthy): CheckResult => (healthy ? 'ok' : 'degraded')),
    ]);
    const ready = database === 'ok' && storage === 'ok';
    res.status(ready ? 200 : 503);
    return { status: ready ? 'ok' : 'unavailable', checks: { database, storage, cache } };
  }
}
