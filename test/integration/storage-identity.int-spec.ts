import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { loadConfig } from '@lfs-depot/config';
import { silentLogger } from '@lfs-depot/observability';
import {
  FallbackStorage,
  formatStorageMarker,
  LocalStorage,
  parseStorageMarker,
  STORAGE_MARKER_KEY,
} from '@lfs-depot/storage';
import type { DataSource } from 'typeorm';

import { startApiRuntime } from '../../apps/api/src/bootstrap/api-runtime.factory.js';
import { ensureStorageIdentity } from '../../apps/api/src/bootstrap/storage-identity.js';
import { StartupError } from '../../apps/api/src/core/startup-error.js';
import { createDataSource, runMigrationsLocked } from '../../apps/api/src/database/data-source.js';
import { TEST_ADMIN_TOKEN, TEST_API_SECRET, TEST_INTERNAL_SECRET } from '../helpers/api-harness.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

/** Rounds of two instances of one fresh deployment starting at once. */
const RACE_ROUNDS = 20;
/** Rounds of two deployments claiming one fresh storage at once (two databases to create per round). */
const CLAIM_ROUNDS = 10;

/** One deployment's database, migrated, with a data source on it (several for the race). */
interface Deployment {
  database: TestDatabase;
  dataSources: DataSource[];
}

let root: string;
const deployments: Deployment[] = [];

async function deployment(instances = 1): Promise<DataSource[]> {
  const database = await createTestDatabase();
  const dataSources = Array.from({ length: instances }, () =>
    createDataSource(database.url, { poolSize: 2 }),
  );
  deployments.push({ database, dataSources });
  await Promise.all(dataSources.map((dataSource) => dataSource.initialize()));
  await runMigrationsLocked(dataSources[0]);
  return dataSources;
}

let folders = 0;
function freshFolder(): string {
  folders += 1;
  return path.join(root, `storage-${folders}`);
}

const ensure = (
  dataSource: DataSource,
  storage: LocalStorage | FallbackStorage,
  adopt: string | null = null,
) => ensureStorageIdentity(dataSource, storage, { where: 'file:///the/storage', adopt });

async function recorded(dataSource: DataSource): Promise<string[]> {
  const rows = await dataSource.query<{ storage_id: string }[]>(`SELECT storage_id FROM storage_identity`);
  return rows.map((row) => row.storage_id);
}

async function markerOf(storage: LocalStorage): Promise<string | undefined> {
  const reading = parseStorageMarker(await storage.readMarker());
  return reading.kind === 'id' ? reading.id : undefined;
}

async function filesIn(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

async function recordObject(dataSource: DataSource): Promise<void> {
  const oid = 'd'.repeat(64);
  await dataSource.query(`INSERT INTO lfs_objects (oid, size, storage_key) VALUES ($1, 1, $2)`, [
    oid,
    `dd/dd/${oid}`,
  ]);
}

/** The promise's StartupError message; fails the test when it resolves or rejects with something else. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(StartupError);
  return (error as StartupError).message;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'storage-identity-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

afterEach(async () => {
  for (const { database, dataSources } of deployments.splice(0)) {
    await Promise.all(dataSources.map((dataSource) => dataSource.destroy()));
    await database.drop();
  }
});

describe('ensureStorageIdentity', () => {
  let storage: LocalStorage;

  beforeEach(() => {
    storage = new LocalStorage(freshFolder());
  });

  it('creates one id on a fresh install, records it in both, and finds it on the next start', async () => {
    const [dataSource] = await deployment();
    const id = await ensure(dataSource, storage);
    expect(await recorded(dataSource)).toEqual([id]);
    expect(await markerOf(storage)).toBe(id);
    await expect(ensure(dataSource, storage)).resolves.toBe(id);
    expect(await recorded(dataSource)).toEqual([id]);
  });

  it('refuses a fresh database on a storage another database owns, writing nothing to either', async () => {
    const [owner] = await deployment();
    const id = await ensure(owner, storage);
    const marker = await storage.readMarker();
    const files = await filesIn(storage.root);
    const [other] = await deployment();

    const message = await refusal(ensure(other, storage));

    expect(message).toContain('belongs to another lfs-depot database');
    expect(message).toContain(`STORAGE_ID=${id}`);
    expect(await recorded(other)).toEqual([]);
    expect(await storage.readMarker()).toBe(marker);
    expect(await filesIn(storage.root)).toEqual(files);
  });

  it('refuses a database that owns another id, writing nothing to either', async () => {
    const [owner] = await deployment();
    const id = await ensure(owner, storage);
    const [other] = await deployment();
    const otherId = await ensure(other, new LocalStorage(freshFolder()));

    const message = await refusal(ensure(other, storage));

    expect(message).toContain(`names storage id ${id}, and this database owns storage id ${otherId}`);
    expect(await recorded(other)).toEqual([otherId]);
    expect(await markerOf(storage)).toBe(id);
  });

  it('refuses an empty storage for a database that records objects, writing nothing to either', async () => {
    const [dataSource] = await deployment();
    const id = await ensure(dataSource, storage);
    await recordObject(dataSource);
    const empty = new LocalStorage(freshFolder());

    const message = await refusal(ensure(dataSource, empty));

    expect(message).toContain('has no lfs-depot-storage.json');
    expect(message).toContain('Moving objects to another backend');
    expect(message).toContain(`STORAGE_ID=${id}`);
    expect(await filesIn(empty.root)).toEqual([]);
    expect(await recorded(dataSource)).toEqual([id]);
  });

  it('refuses a marker it did not write, writing nothing to either', async () => {
    const [dataSource] = await deployment();
    await mkdir(storage.root, { recursive: true });
    await writeFile(path.join(storage.root, STORAGE_MARKER_KEY), 'not json');

    expect(await refusal(ensure(dataSource, storage))).toContain('names no storage id ("not json")');

    expect(await recorded(dataSource)).toEqual([]);
    expect(await storage.readMarker()).toBe('not json');
  });

  it('refuses STORAGE_ID naming another id than the marker, writing nothing to either', async () => {
    const [owner] = await deployment();
    const id = await ensure(owner, storage);
    const [other] = await deployment();
    const wrong = 'e'.repeat(32);

    const message = await refusal(ensure(other, storage, wrong));

    expect(message).toContain(`STORAGE_ID=${wrong}, but the ${STORAGE_MARKER_KEY}`);
    expect(await recorded(other)).toEqual([]);
    expect(await markerOf(storage)).toBe(id);
  });

  it('adopts the marker with STORAGE_ID (a restored copy of the database), recording it', async () => {
    const [owner] = await deployment();
    const id = await ensure(owner, storage);
    const [restored] = await deployment();
    await ensure(restored, new LocalStorage(freshFolder()));

    await expect(ensure(restored, storage, id)).resolves.toBe(id);

    expect(await recorded(restored)).toEqual([id]);
    await expect(ensure(restored, storage)).resolves.toBe(id);
  });

  it('writes the marker into an empty storage when the fallback carries the database id (a migration)', async () => {
    const [dataSource] = await deployment();
    const id = await ensure(dataSource, storage);
    await recordObject(dataSource);
    const fresh = new LocalStorage(freshFolder());

    await expect(ensure(dataSource, new FallbackStorage(fresh, storage))).resolves.toBe(id);

    expect(await markerOf(fresh)).toBe(id);
    // Once the migration is over, the new storage alone is this database's.
    await expect(ensure(dataSource, fresh)).resolves.toBe(id);
  });

  it('writes the marker into an empty storage when the database records no objects', async () => {
    const [dataSource] = await deployment();
    const id = await ensure(dataSource, storage);
    const fresh = new LocalStorage(freshFolder());
    await expect(ensure(dataSource, fresh)).resolves.toBe(id);
    expect(await markerOf(fresh)).toBe(id);
  });

  it('keeps one id in both when two instances of a fresh deployment start at once, every round', async () => {
    for (let round = 0; round < RACE_ROUNDS; round++) {
      const instances = await deployment(2);
      const shared = new LocalStorage(freshFolder());
      // Each instance builds its own storage object on the same folder, as two processes would.
      const ids = await Promise.all([
        ensure(instances[0], shared),
        ensure(instances[1], new LocalStorage(shared.root)),
      ]);
      expect(ids[1]).toBe(ids[0]);
      expect(await recorded(instances[0])).toEqual([ids[0]]);
      expect(await markerOf(shared)).toBe(ids[0]);
    }
  });

  it('lets exactly one of two fresh databases claim a fresh storage at once, every round', async () => {
    for (let round = 0; round < CLAIM_ROUNDS; round++) {
      const [first] = await deployment();
      const [second] = await deployment();
      const shared = new LocalStorage(freshFolder());
      const outcomes = await Promise.allSettled([
        ensure(first, shared),
        ensure(second, new LocalStorage(shared.root)),
      ]);
      const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      expect(won).toHaveLength(1);
      expect(await markerOf(shared)).toBe(won[0].value);
      const lost = outcomes.find((outcome) => outcome.status === 'rejected');
      expect((lost as PromiseRejectedResult).reason).toBeInstanceOf(StartupError);
    }
  });
});

describe('startApiRuntime', () => {
  const env = (dataDir: string, databaseUrl: string, storageRoot: string): Record<string, string> => ({
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    STORAGE: `file://${storageRoot}`,
    LFS_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    INTERNAL_SECRET: TEST_INTERNAL_SECRET,
    API_SECRET: TEST_API_SECRET,
  });

  it('settles the storage id before the API is built, and refuses another database on that storage', async () => {
    const storageRoot = freshFolder();
    const owner = await createTestDatabase();
    const other = await createTestDatabase();
    const dataDir = await mkdtemp(path.join(root, 'data-'));
    try {
      const started = await startApiRuntime(
        loadConfig(env(dataDir, owner.url, storageRoot), dataDir),
        silentLogger('api'),
      );
      const id = started.runtime.storageId;
      await started.close();
      expect(await markerOf(new LocalStorage(storageRoot))).toBe(id);

      const message = await refusal(
        startApiRuntime(loadConfig(env(dataDir, other.url, storageRoot), dataDir), silentLogger('api')),
      );
      expect(message).toContain(`file://${storageRoot} belongs to another lfs-depot database`);

      const adopted = await startApiRuntime(
        loadConfig({ ...env(dataDir, other.url, storageRoot), STORAGE_ID: id ?? '' }, dataDir),
        silentLogger('api'),
      );
      expect(adopted.runtime.storageId).toBe(id);
      await adopted.close();
    } finally {
      await owner.drop();
      await other.drop();
    }
  });

  it('names a malformed STORAGE_ID as a configuration problem', () => {
    expect(() => loadConfig({ STORAGE_ID: 'nope' }, root)).toThrow(
      /STORAGE_ID must be 32 lowercase hex digits/,
    );
  });
});

describe('the marker format', () => {
  it('reads back the id it was written with', () => {
    expect(parseStorageMarker(formatStorageMarker('f'.repeat(32)))).toEqual({
      kind: 'id',
      id: 'f'.repeat(32),
    });
  });
});
