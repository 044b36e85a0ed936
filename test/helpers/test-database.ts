import { randomBytes } from 'node:crypto';

import pg from 'pg';

/**
 * The server the suite runs against: scripts/run-tests.mjs sets LFS_TEST_DATABASE_URL to DATABASE_URL or to the
 * embedded PostgreSQL it started. Each test file gets its own fresh database on it.
 */
export function testServerUrl(): string {
  const url = process.env.LFS_TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) {
    throw new Error('No test database: run the suite with `npm test` (it provides one) or set DATABASE_URL');
  }
  return url;
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testServerUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database for one test file; drop() removes it (forcefully, even with open connections). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `lfs_test_${randomBytes(6).toString('hex')}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(testServerUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

/** The Redis the suite may use (REDIS_URL), or undefined for the in-memory cache. */
export function testRedisUrl(): string | undefined {
  return process.env.LFS_TEST_REDIS_URL ?? process.env.REDIS_URL;
}
