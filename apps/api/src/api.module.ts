import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import type { Logger } from '@lfs-depot/observability';
import { LoggerModule } from 'nestjs-pino';

import { AdminModule } from './admin/admin.module.js';
import { BatchModule } from './batch/batch.module.js';
import type { ApiRuntime } from './core/api-runtime.js';
import { CoreModule } from './core/core.module.js';
import { GcModule } from './gc/gc.module.js';
import { HealthModule } from './health/health.module.js';
import { LocksModule } from './locks/locks.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { PlatformModule } from './platform/platform.module.js';
import { ProjectArchiveModule } from './project-archive/project-archive.module.js';
import { PushCheckModule } from './push-check/push-check.module.js';
import type { LfsRequest } from './http/request-context.js';
import { ReferencesModule } from './references/references.module.js';
import { ScrubModule } from './scrub/scrub.module.js';
import { StorageMigrationModule } from './storage-migration/storage-migration.module.js';
import { TransfersModule } from './transfers/transfers.module.js';

/** Infrastructure beside the CoreModule that features use (metrics): it imports no feature. */
export const SHARED_MODULES = [MetricsModule];

/**
 * Every feature module; each declares its own routes. Express tries routes in registration order, so the ones
 * git-lfs hits most (batch, transfers, locks) come first and do not pay for matching the admin API's on every call.
 */
export const FEATURE_MODULES = [
  BatchModule,
  TransfersModule,
  LocksModule,
  HealthModule,
  AdminModule,
  PushCheckModule,
  PlatformModule,
  ReferencesModule,
  GcModule,
  ProjectArchiveModule,
  StorageMigrationModule,
  ScrubModule,
];

@Module({})
export class ApiModule {
  /** `logger` takes every line: Nest's, ours, and (bound to the request's id) those made while handling a request. */
  static forRoot(runtime: ApiRuntime, logger: Logger): DynamicModule {
    return {
      module: ApiModule,
      // Shared modules are global (order does not matter to injection); listed last, their routes come last too.
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            logger,
            // The access line is RequestLog's (it also sees the batch fast path); pino-http only binds the id.
            autoLogging: false,
            quietReqLogger: true,
            genReqId: (req) => (req as LfsRequest).requestId ?? '',
            customAttributeKeys: { reqId: 'request_id' },
          },
        }),
        CoreModule.forRoot(runtime),
        ...FEATURE_MODULES,
        ...SHARED_MODULES,
      ],
    };
  }
}
