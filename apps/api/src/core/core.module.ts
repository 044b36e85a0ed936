import type { DynamicModule } from '@nestjs/common';
import { Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { AccessCache } from '../cache/access-cache.js';
import { LinkCache } from '../cache/link-cache.js';
import { SharedCache } from '../cache/shared-cache.js';
import { CONFIG, DIRECT_TRANSFERS, OBJECT_STORAGE, STORAGE_ID } from './api-runtime.js';
import type { ApiRuntime } from './api-runtime.js';
import { ApiSecrets } from './api-secrets.js';

/**
 * Provides the startup-built runtime (config, database, cache, secrets, storage) to every feature module, and the
 * per-application memos (access, object links) that sit on the cache's invalidation channels.
 */
@Global()
@Module({})
export class CoreModule {
  static forRoot(runtime: ApiRuntime): DynamicModule {
    const providers = [
      { provide: CONFIG, useValue: runtime.config },
      { provide: DataSource, useValue: runtime.dataSource },
      { provide: SharedCache, useValue: runtime.cache },
      { provide: ApiSecrets, useValue: runtime.secrets },
      { provide: OBJECT_STORAGE, useValue: runtime.storage },
      { provide: DIRECT_TRANSFERS, useValue: runtime.direct ?? null },
      { provide: STORAGE_ID, useValue: runtime.storageId ?? null },
      { provide: AccessCache, useValue: new AccessCache(runtime.cache) },
      { provide: LinkCache, useValue: new LinkCache(runtime.cache) },
    ];
    return { module: CoreModule, providers, exports: providers.map((p) => p.provide) };
  }
}
