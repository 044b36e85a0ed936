import { DataSource, type Logger } from 'typeorm';

import { MIGRATIONS } from '../../../../migrations/index.js';
import { ENTITIES } from './entities.js';

/** Arbitrary but fixed: every instance takes this advisory lock before migrating, so only one migrates at a time. */
const MIGRATION_LOCK_ID = 0x1f5_de90;

/** Creates (not yet connected) the TypeORM data source for a Postgres URL. `synchronize` is never on. */
export function createDataSource(
  url: string,
  options: { poolSize?: number; logging?: boolean; logger?: Logger } = {},
): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    logging: options.logger ? ['query'] : (options.logging ?? false),
    ...(options.logger && { logger: options.logger }),
    poolSize: options.poolSize ?? 10,
    applicationName: 'lfs-depot',
    // Without it a black-holed database host holds startup, and every request while it is down, for the kernel's
    // TCP connect timeout (minutes).
    connectTimeoutMS: 10_000,
  });
}

/** Runs pending migrations while holding a Postgres advisory lock, so several instances can start at once. */
export async function runMigrationsLocked(dataSource: DataSource): Promise<string[]> {
  return withStartupLock(dataSource, async () => {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  });
}

/**
 * Runs `work` while holding the advisory lock that migrations take: what every instance does once at start (migrate,
 * then settle the storage id) happens in one instance at a time, and the others find it done.
 */
export async function withStartupLock<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      return await work();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    }
  } finally {
    await runner.release();
  }
}
