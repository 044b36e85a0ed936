import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll } from '@jest/globals';
import { startS3Server, type S3TestServer } from '@lfs-depot/testing';
import pg from 'pg';

import { adminClient, type AdminClient } from '../../helpers/sandbox.mjs';
import { Instance, newSecrets, type Deployment } from './instance.js';
import { startPostgresCluster, type PostgresCluster } from './postgres-cluster.js';
import { startRedis, type TestRedis } from './redis-server.js';

/**
 * How many times the suite repeats its random rounds: 1 in CI; `LFS_RELIABILITY_SCALE=10 npm run
 * test:reliability` while changing something risky.
 */
export const SCALE = Math.max(1, Number(process.env.LFS_RELIABILITY_SCALE ?? '1') || 1);

/** A seeded random source, so that a failure names the seed that reproduces it (`LFS_RELIABILITY_SEED`). */
export function seededRandom(name: string): { seed: number; next(): number } {
  const seed = Number(process.env.LFS_RELIABILITY_SEED ?? '') || Math.floor(Math.random() * 2 ** 31);
  let state = seed;
  console.log(`${name}: LFS_RELIABILITY_SEED=${seed}`);
  return {
    seed,
    // mulberry32
    next() {
      state = (state + 0x6d2b79f5) | 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

export interface ReliabilityDeployment {
  postgres: PostgresCluster;
  redis?: TestRedis;
  /** The S3 server (s3rver) every instance stores objects on, when started with `s3`. */
  s3?: S3TestServer;
  instances: Instance[];
  settings: Deployment;
  /** The admin API through the first instance. */
  admin: AdminClient;
  /** A client of the product's database, for before/after comparisons (reconnects after a PostgreSQL restart). */
  query<T>(sql: string, parameters?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface DeploymentOptions {
  instances?: number;
  redis?: boolean;
  /** Objects on an S3 server (s3rver) the test starts; otherwise local disk in each instance's DATA_DIR. */
  s3?: boolean;
  env?: Record<string, string>;
}

/** Its own PostgreSQL (and Redis), and `instances` full instances on them, started in order. */
export async function startDeployment(options: DeploymentOptions = {}): Promise<ReliabilityDeployment> {
  const postgres = await startPostgresCluster();
  const redis = options.redis ? await startRedis() : undefined;
  const s3 = options.s3 ? await startS3Server() : undefined;
  const settings: Deployment = {
    databaseUrl: postgres.url,
    redisUrl: redis?.url,
    storage: s3
      ? `s3://${s3.bucket}/objects?endpoint=${encodeURIComponent(s3.endpoint)}&region=${s3.region}&forcePathStyle=true`
      : undefined,
    env: {
      ...(s3
        ? {
            AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
          }
        : {}),
      ...options.env,
    },
    ...newSecrets(),
  };
  const instances: Instance[] = [];
  const close = async (): Promise<void> => {
    const logs = process.env.LFS_RELIABILITY_LOGS;
    if (logs) {
      // The last 64 KiB each app printed, to read after a failure.
      await mkdir(logs, { recursive: true });
      await Promise.all(
        instances.map((instance) =>
          writeFile(path.join(logs, `${path.basename(instance.dataDir)}.log`), instance.log()),
        ),
      );
    }
    await Promise.all(instances.map((instance) => instance.stop()));
    await s3?.stop();
    await redis?.stop();
    await postgres.destroy();
  };
  try {
    for (let i = 0; i < (options.instances ?? 1); i += 1) {
      instances.push(await Instance.start(settings));
    }
  } catch (error) {
    await close();
    throw error;
  }
  const first = instances[0];
  return {
    postgres,
    redis,
    s3,
    instances,
    settings,
    admin: adminClient(first.url, settings.adminToken),
    async query<T>(sql: string, parameters: unknown[] = []): Promise<T[]> {
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      try {
        return (await client.query(sql, parameters)).rows as T[];
      } finally {
        await client.end();
      }
    },
    close,
  };
}

/** Starts a deployment before the describe block's tests and closes it after them. */
export function useDeployment(options: DeploymentOptions = {}): () => ReliabilityDeployment {
  let deployment: ReliabilityDeployment | undefined;
  beforeAll(async () => {
    deployment = await startDeployment(options);
  }, 180_000);
  afterAll(async () => {
    await deployment?.close();
  }, 60_000);
  return () => {
    if (!deployment) {
      throw new Error('the deployment is only there inside the tests and hooks of its describe block');
    }
    return deployment;
  };
}

/** Everything uploads may change in the database, for before/after comparisons. */
export async function transferTables(deployment: ReliabilityDeployment): Promise<unknown> {
  return {
    objects: await deployment.query(`SELECT oid, size, storage_key FROM lfs_objects ORDER BY oid`),
    links: await deployment.query(
      `SELECT o.oid, l.project_id FROM lfs_objects_projects l JOIN lfs_objects o ON o.id = l.lfs_object_id
        ORDER BY o.oid, l.project_id`,
    ),
    statistics: await deployment.query(
      `SELECT project_id, lfs_objects_count::text, lfs_objects_size::text FROM project_statistics
        ORDER BY project_id`,
    ),
  };
}

/** Every object file of a local-disk instance (not its upload temp folder), relative to the objects folder. */
export async function storedObjectFiles(instance: Instance): Promise<string[]> {
  const root = path.join(instance.dataDir, 'objects');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .filter((file) => !file.startsWith(`tmp${path.sep}`) && file !== 'lfs-depot-storage.json')
    .sort();
}

/** A user with a password, an access token and write access to `project`, which is created. */
export async function userWithProject(
  admin: AdminClient,
  username: string,
  project: string,
  projectOptions: { quota_bytes?: number } = {},
): Promise<{ username: string; password: string; token: string }> {
  const password = `${username}-password-123`;
  await admin.ok('POST', '/users', { username, password });
  const { token } = (await admin.ok('POST', `/users/${username}/tokens`, { name: 'reliability' })) as {
    token: string;
  };
  await admin.ok('POST', '/projects', { path: project, ...projectOptions });
  await admin.ok('PUT', `/projects/${encodeURIComponent(project)}/members/${username}`, {
    role: 'maintainer',
  });
  return { username, password, token };
}

/**
 * What must hold whatever was killed when: each project's statistics are exactly the count and size of the objects
 * it links, and every object row's bytes are stored at their size (`storedSize` reads storage). Returns the
 * problems found, an empty list when there are none.
 */
export async function consistencyProblems(
  deployment: ReliabilityDeployment,
  storedSize: (storageKey: string) => Promise<number | undefined>,
): Promise<string[]> {
  const problems: string[] = [];
  const drift = await deployment.query<Record<string, string>>(
    `SELECT p.path, s.lfs_objects_count::text AS recorded_count, s.lfs_objects_size::text AS recorded_size,
            count(o.id)::text AS linked_count, coalesce(sum(o.size), 0)::text AS linked_size
       FROM projects p
       LEFT JOIN project_statistics s ON s.project_id = p.id
       LEFT JOIN lfs_objects_projects l ON l.project_id = p.id
       LEFT JOIN lfs_objects o ON o.id = l.lfs_object_id
      GROUP BY p.path, s.lfs_objects_count, s.lfs_objects_size
     HAVING coalesce(s.lfs_objects_count, 0) <> count(o.id)
         OR coalesce(s.lfs_objects_size, 0) <> coalesce(sum(o.size), 0)`,
  );
  for (const row of drift) {
    problems.push(`statistics of ${row.path} drifted: ${JSON.stringify(row)}`);
  }
  const objects = await deployment.query<{ oid: string; size: string; storage_key: string }>(
    `SELECT oid, size::text, storage_key FROM lfs_objects`,
  );
  for (const object of objects) {
    const size = await storedSize(object.storage_key);
    if (size !== Number(object.size)) {
      problems.push(
        `object ${object.oid} is recorded at ${object.size} bytes but stored at ${size ?? 'none'}`,
      );
    }
  }
  return problems;
}

/** The size of a local-disk instance's stored object, or undefined when it is missing. */
export function localStoredSize(instance: Instance): (storageKey: string) => Promise<number | undefined> {
  return async (storageKey) =>
    (await stat(path.join(instance.dataDir, 'objects', storageKey)).catch(() => undefined))?.size;
}
