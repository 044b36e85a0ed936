import type { Logger } from '@nestjs/common';
import type { Config } from '@lfs-depot/config';
import { resolveAdminToken, resolveInternalSecret } from '@lfs-depot/config';
import { createStorage } from '@lfs-depot/storage';

import { ApiSecrets } from '../auth/api-secrets.js';
import { MemoryCache } from '../cache/memory.cache.js';
import { RedisCache } from '../cache/redis.cache.js';
import type { SharedCache } from '../cache/shared-cache.js';
import type { ApiRuntime } from '../core/api-runtime.js';
import { createDataSource, runMigrationsLocked } from '../database/data-source.js';
import type { EmbeddedDatabase } from '../database/embedded-postgres.js';
import { startEmbeddedPostgres } from '../database/embedded-postgres.js';
import { shutdownState } from './shutdown-state.js';

export interface StartedRuntime {
  runtime: ApiRuntime;
  /** Where the generated admin token was written, when it was not configured. */
  adminTokenFile?: string;
  close(): Promise<void>;
}

/**
 * Brings up what the API depends on, in order: the database (embedded when DATABASE_URL is unset) with migrations
 * applied, the shared cache, the secrets and the object storage. On failure, what already started is stopped.
 */
export async function startApiRuntime(config: Config, logger: Logger): Promise<StartedRuntime> {
  const cleanups: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => logger.warn(`shutdown step failed: ${String(error)}`));
    }
    cleanups.length = 0;
  };
  try {
    let databaseUrl: string;
    if (config.database.kind === 'embedded') {
      logger.log(`Starting embedded PostgreSQL in ${config.database.dataDir}`);
      const embedded: EmbeddedDatabase = await startEmbeddedPostgres(config.database.dataDir, {
        notice: (line) => logger.warn(line),
        avoidPorts: [config.api.port, config.http.port],
      });
      cleanups.push(() => embedded.stop());
      // Without its database the API can only fail requests; exiting lets `npm start` or a supervisor notice.
      embedded.onUnexpectedExit((code, signal) => {
        if (shutdownState.requested) {
          return; // Ctrl-C reaches the whole process group: postgres stopping first is expected.
        }
        logger.error(`The embedded PostgreSQL stopped unexpectedly (${signal ?? `code ${code}`}); exiting`);
        process.exit(1);
      });
      databaseUrl = embedded.url;
    } else {
      databaseUrl = config.database.url;
    }
    const dataSource = createDataSource(databaseUrl);
    await dataSource.initialize();
    cleanups.push(() => dataSource.destroy());
    const applied = await runMigrationsLocked(dataSource);
    if (applied.length > 0) {
      logger.log(`Applied migrations: ${applied.join(', ')}`);
    }

    let cache: SharedCache;
    if (config.redis.kind === 'redis') {
      const redis = new RedisCache(config.redis.url);
      cache = redis;
      if (!(await redis.waitUntilReady())) {
        logger.warn('Redis is not reachable yet; starting without it (it is retried in the background)');
      }
    } else {
      cache = new MemoryCache();
    }
    cleanups.push(() => cache.close());

    const adminToken = await resolveAdminToken(config);
    const secrets = new ApiSecrets(adminToken.value, await resolveInternalSecret(config));
    const storage = await createStorage(config.storage);

    return {
      runtime: { config, dataSource, cache, secrets, storage },
      adminTokenFile: adminToken.file,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
