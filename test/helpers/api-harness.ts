import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { internalKeys, signClientAddress, signInternalRequest } from '@lfs-depot/auth';
import type { Config } from '@lfs-depot/config';
import { describeStorage, loadConfig } from '@lfs-depot/config';
import { CLIENT_ADDRESS_HEADER, INTERNAL_SIGNATURE_HEADER } from '@lfs-depot/contracts';
import { LocalStorage } from '@lfs-depot/storage';
import type { Logger as AppLogger } from '@lfs-depot/observability';
import type { DirectTransfers, ObjectStorage } from '@lfs-depot/storage';
import type { DataSource, Logger } from 'typeorm';

import { closeApiApp, createApiApp } from '../../apps/api/src/api.app.js';
import { ensureStorageIdentity } from '../../apps/api/src/bootstrap/storage-identity.js';
import { teardown } from './teardown-watch.js';
import { MemoryCache } from '../../apps/api/src/cache/memory.cache.js';
import { RedisCache } from '../../apps/api/src/cache/redis.cache.js';
import type { SharedCache } from '../../apps/api/src/cache/shared-cache.js';
import { ApiSecrets } from '../../apps/api/src/core/api-secrets.js';
import { createDataSource, runMigrationsLocked } from '../../apps/api/src/database/data-source.js';
import { adminClient as sandboxAdminClient, type AdminClient } from './sandbox.mjs';
import { createTestDatabase, testRedisUrl } from './test-database.js';
import type { TestDatabase } from './test-database.js';

/** A TypeORM logger that only counts statements, so tests can prove a request costs a constant number of them. */
export class QueryCounter implements Logger {
  count = 0;

  logQuery(): void {
    this.count += 1;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}

  /** Statements sent while `work` ran (the suite runs one request at a time per harness). */
  async during(work: () => Promise<unknown>): Promise<number> {
    const before = this.count;
    await work();
    return this.count - before;
  }
}

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const TEST_INTERNAL_SECRET = 'test-internal-secret-0123456789abcdef-0123456789';
/** The API's own secret, which the proxy never holds. */
export const TEST_API_SECRET = 'test-api-secret-9876543210fedcba-9876543210';
/** The keys a proxy holding TEST_INTERNAL_SECRET signs with. */
export const TEST_INTERNAL_KEYS = internalKeys(TEST_INTERNAL_SECRET);
export const TEST_METRICS_TOKEN = 'test-metrics-token-0123456789abcdef';

export interface ApiHarness {
  app: INestApplication;
  /** Base URL of the listening API. */
  url: string;
  config: Config;
  dataSource: DataSource;
  storage: ObjectStorage;
  /** The storage id that the storage's marker and the database share, as the API tells the proxy. */
  storageId: string;
  cache: SharedCache;
  dataDir: string;
  /** Counts the SQL statements the API sends. */
  queries: QueryCounter;
  /** The test database, and the Redis key prefix standing for "this deployment". */
  databaseUrl: string;
  cachePrefix: string;
  close(): Promise<void>;
}

/**
 * Starts the real API on a fresh database, a temp folder for objects, and Redis when the suite has one. With
 * `shareWith`, it is a second instance of the same deployment instead: the other's database, storage and Redis
 * prefix, which the first one's close() drops. As at a real start, the storage id is settled first (ensureStorageIdentity): a
 * `storage` that another harness's database owns needs `STORAGE_ID` (that harness's `storageId`) in `env`.
 */
export async function startApiHarness(
  env: Record<string, string> = {},
  options: {
    storage?: ObjectStorage;
    /** Presigned transfers on the bucket of `storage` (give DIRECT_TRANSFERS and an s3:// STORAGE in `env`). */
    direct?: DirectTransfers;
    shareWith?: ApiHarness;
    databaseUrl?: string;
    logger?: AppLogger;
  } = {},
): Promise<ApiHarness> {
  const { shareWith } = options;
  // databaseUrl: a database the test owns (e.g. on a PostgreSQL it starts and stops itself); left as it is.
  const ownUrl = shareWith?.databaseUrl ?? options.databaseUrl;
  const database: TestDatabase = ownUrl
    ? { url: ownUrl, drop: () => Promise.resolve() }
    : await createTestDatabase();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lfs-depot-test-'));
  const cachePrefix = shareWith?.cachePrefix ?? `lfs-test-${path.basename(dataDir)}:`;
  const config = loadConfig(
    {
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      LFS_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      INTERNAL_SECRET: TEST_INTERNAL_SECRET,
      API_SECRET: TEST_API_SECRET,
      API_PORT: '0',
      PORT: '0',
      ...env,
    },
    dataDir,
  );
  const queries = new QueryCounter();
  const dataSource = createDataSource(database.url, { poolSize: 10, logger: queries });
  await dataSource.initialize();
  await runMigrationsLocked(dataSource);
  const redisUrl = testRedisUrl();
  let cache: SharedCache = new MemoryCache();
  if (redisUrl) {
    const redis = new RedisCache(redisUrl, cachePrefix);
    if (!(await redis.waitUntilReady())) {
      throw new Error(`Redis at ${redisUrl} did not answer`);
    }
    cache = redis;
  }
  // A second instance of one deployment shares its storage, as it shares its database.
  const storage = options.storage ?? shareWith?.storage ?? new LocalStorage(path.join(dataDir, 'objects'));
  const storageId = await ensureStorageIdentity(dataSource, storage, {
    where: describeStorage(config.storage),
    adopt: config.storageId,
  });
  const app = await createApiApp(
    {
      config,
      dataSource,
      cache,
      secrets: new ApiSecrets(TEST_ADMIN_TOKEN, TEST_INTERNAL_SECRET, TEST_API_SECRET, TEST_METRICS_TOKEN),
      storage,
      storageId,
      direct: options.direct,
    },
    { logger: options.logger },
  );
  await app.listen(0, '127.0.0.1');
  const address = (app.getHttpServer() as Server).address() as { port: number };
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    config,
    dataSource,
    storage,
    storageId,
    cache,
    dataDir,
    queries,
    databaseUrl: database.url,
    cachePrefix,
    close: () =>
      teardown('API harness', [
        ['closeApiApp', () => closeApiApp(app)],
        ['cache.close', () => cache.close()],
        ['dataSource.destroy', () => dataSource.destroy()],
        ['database.drop', () => database.drop()],
        ['rm dataDir', () => rm(dataDir, { recursive: true, force: true })],
      ]),
  };
}

/** The header the proxy adds to say (signed) which address a request came from, as the API believes it. */
export function clientAddressHeader(address: string): Record<string, string> {
  return { [CLIENT_ADDRESS_HEADER]: signClientAddress(TEST_INTERNAL_KEYS.clientAddress, address) };
}

/** The headers of a JSON POST to an internal endpoint, signed as the proxy signs it. */
export function signedInternalHeaders(internalPath: string, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    [INTERNAL_SIGNATURE_HEADER]: signInternalRequest(TEST_INTERNAL_KEYS.request, 'POST', internalPath, body),
  };
}

/**
 * The admin API client of sandbox.mjs, with the test deployment's admin token unless told otherwise; with `client`,
 * every call says it came from that address, as the proxy does.
 */
export function adminClient(baseUrl: string, token = TEST_ADMIN_TOKEN, client?: string): AdminClient {
  return sandboxAdminClient(baseUrl, token, {
    headers: client === undefined ? {} : clientAddressHeader(client),
  });
}

/**
 * A describe block, run only when a test Redis is configured, whose tests reach a second API instance sharing the
 * first one's PostgreSQL and Redis: for what must cross instances, such as cache invalidations.
 */
export function describeWithSecondInstance(
  first: () => ApiHarness,
  tests: (second: () => ApiHarness) => void,
): void {
  (testRedisUrl() ? describe : describe.skip)('with two instances sharing Postgres and Redis', () => {
    let second: ApiHarness | undefined;

    beforeAll(async () => {
      second = await startApiHarness({}, { shareWith: first() });
    });

    afterAll(async () => {
      await second?.close();
    });

    tests(() => {
      if (!second) {
        throw new Error('the second instance did not start');
      }
      return second;
    });
  });
}
