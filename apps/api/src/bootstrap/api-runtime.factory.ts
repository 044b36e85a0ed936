import type { Config } from '@lfs-depot/config';
import {
  describeStorage,
  redactUrl,
  resolveAdminToken,
  resolveApiSecret,
  resolveInternalSecret,
  resolveMetricsToken,
} from '@lfs-depot/config';
import type { Logger } from '@lfs-depot/observability';
import { createDirectTransfers, createStorage } from '@lfs-depot/storage';

import { MemoryCache } from '../cache/memory.cache.js';
import type { SharedCache } from '../cache/shared-cache.js';
import type { ApiRuntime } from '../core/api-runtime.js';
import { ApiSecrets } from '../core/api-secrets.js';
import { StartupError } from '../core/startup-error.js';
import { createDataSource, runMigrationsLocked } from '../database/data-source.js';
import type { EmbeddedDatabase } from '../database/embedded-postgres.js';
import { acquireInstanceLock } from './instance-lock.js';
import { shutdownState } from './shutdown-state.js';
import { ensureStorageIdentity } from './storage-identity.js';

export interface StartedRuntime {
  runtime: ApiRuntime;
  /** Where the generated admin token was written, when it was not configured. */
  adminTokenFile?: string;
  /** Where the generated metrics token was written, when it was not configured. */
  metricsTokenFile?: string;
  close(): Promise<void>;
}

/**
 * Brings up what the API depends on, in order: the database (embedded when DATABASE_URL is unset) with migrations
 * applied, the shared cache, the secrets and the object storage, whose storage id must be this database's
 * (ensureStorageIdentity). On failure, what already started is stopped.
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
      // Before anything touches the cluster: a second start on this DATA_DIR would otherwise take the running
      // instance's PostgreSQL for a leftover and stop it.
      const startPid = Number.parseInt(process.env.LFS_DEPOT_START_PID ?? '', 10);
      const lock = await acquireInstanceLock(config.dataDir, {
        description: {
          pid: process.pid,
          ...(Number.isSafeInteger(startPid) && { startPid }),
          port: config.http.port,
          apiPort: config.api.port,
        },
      });
      cleanups.push(() => lock.release());
      logger.info(`Starting embedded PostgreSQL in ${config.database.dataDir}`);
      // Loaded only when used, as is ioredis below: what is never run should not sit in an idle API's memory.
      const { startEmbeddedPostgres } = await import('../database/embedded-postgres.js');
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
    try {
      await dataSource.initialize();
    } catch (error) {
      throw new StartupError(
        `${config.database.kind === 'embedded' ? 'The embedded PostgreSQL' : `DATABASE_URL ${redactUrl(databaseUrl)}`} ` +
          `is not reachable: ${describeConnectionError(error)}`,
        { cause: error },
      );
    }
    cleanups.push(() => dataSource.destroy());
    const applied = await runMigrationsLocked(dataSource);
    logger.info(
      { migrations: applied },
      applied.length > 0 ? `Applied migrations: ${applied.join(', ')}` : 'Database schema is up to date',
    );

    let cache: SharedCache;
    if (config.redis.kind === 'redis') {
      const { RedisCache } = await import('../cache/redis.cache.js');
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
    const metricsToken = await resolveMetricsToken(config);
    const secrets = new ApiSecrets(
      adminToken.value,
      await resolveInternalSecret(config),
      await resolveApiSecret(config),
      metricsToken.value,
    );
    const storage = await createStorage(config.storage, config.storageFallback);
    // Before anything is served: an API on another deployment's storage could purge bytes that one still links.
    const storageId = await ensureStorageIdentity(dataSource, storage, {
      where: describeStorage(config.storage),
      adopt: config.storageId,
      log: (level, message) => logger[level](message),
    });
    const direct = await createDirectTransfers(config.storage, config.directTransfers);
    if (direct) {
      cleanups.push(() => Promise.resolve(direct.destroy()));
    }

    return {
      runtime: { config, dataSource, cache, secrets, storage, storageId, direct },
      adminTokenFile: adminToken.file,
      metricsTokenFile: metricsToken.file,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** pg reports a refused connection to a name with several addresses as an AggregateError with no message. */
export function describeConnectionError(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error);
  }
  if (error.message) {
    return error.message;
  }
  const inner = error instanceof AggregateError ? (error.errors as unknown[]) : [];
  const code = (error as NodeJS.ErrnoException).code;
  return inner.length > 0 ? inner.map(describeConnectionError).join('; ') : (code ?? error.name);
}
