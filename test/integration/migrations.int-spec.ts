import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';

import { createDataSource, runMigrationsLocked } from '../../apps/api/src/database/data-source.js';
import { MIGRATIONS } from '../../migrations/index.js';
import type { TestDatabase } from '../helpers/test-database.js';
import { createTestDatabase } from '../helpers/test-database.js';

/** What an API does at start, several at once: each instance has its own connection pool. */
describe('migrations at start', () => {
  let database: TestDatabase;
  const instances: DataSource[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    for (let i = 0; i < 3; i += 1) {
      const dataSource = createDataSource(database.url, { poolSize: 2 });
      await dataSource.initialize();
      instances.push(dataSource);
    }
  });

  afterAll(async () => {
    await Promise.all(instances.map((dataSource) => dataSource.destroy()));
    await database?.drop();
  });

  it('apply every migration exactly once when several instances start together, under the advisory lock', async () => {
    const applied = await Promise.all(instances.map((dataSource) => runMigrationsLocked(dataSource)));

    // One instance migrates; the others wait for the lock and then find nothing left to do.
    expect(applied.flat().sort()).toEqual(MIGRATIONS.map((migration) => migration.name).sort());
    expect(applied.filter((names) => names.length > 0)).toHaveLength(1);
    const [first] = instances;
    await expect(first?.showMigrations()).resolves.toBe(false);
    const rows = await first?.query<{ name: string }[]>('SELECT name FROM migrations ORDER BY id');
    expect(rows?.map(({ name }) => name)).toEqual(MIGRATIONS.map((migration) => migration.name));
  });

  it('release the lock: a later start takes it and finds nothing to apply', async () => {
    await expect(runMigrationsLocked(instances[1])).resolves.toEqual([]);
  });
});
