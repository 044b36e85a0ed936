import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobView, StorageMigrationReport } from '@lfs-depot/contracts';
import type { ExpectedObject, ObjectStorage } from '@lfs-depot/storage';
import { FallbackStorage, LocalStorage, objectKey } from '@lfs-depot/storage';
import { eventually } from '@lfs-depot/testing';

import { ObjectCopiesRepository } from '../../apps/api/src/objects/object-copies.repository.js';
import { ObjectPurger } from '../../apps/api/src/objects/object-purger.js';
import { ObjectsRepository } from '../../apps/api/src/objects/objects.repository.js';
import { ByteRate, migrateObject } from '../../apps/api/src/storage-migration/object-migrator.js';
import type { ApiHarness } from '../helpers/api-harness.js';
import { adminClient, startApiHarness } from '../helpers/api-harness.js';
import { TestFactory } from '../helpers/factories.js';
import { testObject } from '../helpers/transfer-stack.js';
import type { TestObject } from '../helpers/transfer-stack.js';

/** Local storage that counts the puts in flight, to prove the migration's concurrency bound. */
class CountingStorage extends LocalStorage {
  inFlight = 0;
  mostInFlight = 0;

  override async put(key: string, body: Readable, expected: ExpectedObject): Promise<void> {
    this.inFlight += 1;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    try {
      await super.put(key, body, expected);
    } finally {
      this.inFlight -= 1;
    }
  }
}

const put = (storage: ObjectStorage, object: TestObject): Promise<void> =>
  storage.put(objectKey(object.oid), Readable.from([object.data]), object);

describe('storage migration (STORAGE_FALLBACK)', () => {
  let root: string;
  let primary: CountingStorage;
  let fallback: LocalStorage;
  let api: ApiHarness;
  let admin: ReturnType<typeof adminClient>;
  let factory: TestFactory;

  async function finished(id: string): Promise<JobView> {
    let job: JobView | undefined;
    await eventually(async () => {
      job = (await admin.ok('GET', `/jobs/${id}`)) as unknown as JobView;
      return ['succeeded', 'failed', 'cancelled'].includes(job.state);
    }, 30_000);
    return job as JobView;
  }

  async function migrate(body: Record<string, unknown> = {}): Promise<JobView> {
    const started = await admin.call('POST', '/storage/migrate', body);
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ kind: 'storage-migrate' });
    return finished(started.body?.id as string);
  }

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'storage-migration-'));
    primary = new CountingStorage(path.join(root, 'new'));
    fallback = new LocalStorage(path.join(root, 'old'));
    api = await startApiHarness(
      { STORAGE: `file://${root}/new`, STORAGE_FALLBACK: `file://${root}/old` },
      { storage: new FallbackStorage(primary, fallback) },
    );
    admin = adminClient(api.url);
    factory = TestFactory.forApi(api);
  });

  afterAll(async () => {
    await api.close();
    await rm(root, { recursive: true, force: true });
  });

  it('copies every object to the primary, verified and bounded, keeps the old copies, and names what it could not copy', async () => {
    const project = await factory.project({ path: 'migrate/engine' });
    const inFallback = Array.from({ length: 12 }, (_, index) => testObject(1000 + index * 4096));
    for (const object of inFallback) {
      await put(fallback, object);
      await factory.linkedObject(project.id, { oid: object.oid, size: object.size });
    }
    const uploadedSince = testObject(5000);
    await put(primary, uploadedSince);
    await factory.linkedObject(project.id, { oid: uploadedSince.oid, size: uploadedSince.size });
    const lost = testObject(300);
    await factory.linkedObject(project.id, { oid: lost.oid, size: lost.size });
    const corrupt = testObject(400);
    // Bytes of the right size that hash to something else, as a disk that rotted leaves them.
    const corruptFile = path.join(root, 'old', objectKey(corrupt.oid));
    await mkdir(path.dirname(corruptFile), { recursive: true });
    await writeFile(corruptFile, testObject(400).data);
    await factory.linkedObject(project.id, { oid: corrupt.oid, size: corrupt.size });

    const job = await migrate({ concurrency: 3 });

    expect(job.state).toBe('succeeded');
    const report = job.result as unknown as StorageMigrationReport;
    expect(report).toMatchObject({
      from: `file://${root}/old`,
      to: `file://${root}/new`,
      objects: 15,
      copied: 12,
      copied_bytes: inFallback.reduce((sum, object) => sum + object.size, 0),
      already_migrated: 1,
      purged: 0,
      missing: 1,
      corrupt: 1,
      failed: 0,
      remaining: 2,
    });
    expect(report.problems.map((problem) => [problem.oid, problem.reason]).sort()).toEqual(
      [
        [lost.oid, 'missing'],
        [corrupt.oid, 'corrupt'],
      ].sort(),
    );
    expect(job.progress).toMatchObject({ phase: 'done', done: 15, total: 15 });
    for (const object of inFallback) {
      expect(await primary.stat(objectKey(object.oid))).toEqual({ size: object.size });
      // Kept: nothing is deleted from the old backend.
      expect(await fallback.stat(objectKey(object.oid))).toEqual({ size: object.size });
    }
    expect(await primary.stat(objectKey(corrupt.oid))).toBeUndefined();
    expect(primary.mostInFlight).toBeGreaterThanOrEqual(1);
    expect(primary.mostInFlight).toBeLessThanOrEqual(3);

    // Run again, it copies nothing and says the same about what is left.
    const again = (await migrate()).result as unknown as StorageMigrationReport;
    expect(again).toMatchObject({ copied: 0, already_migrated: 13, remaining: 2 });
  });

  it('refuses bad parameters with 422 and a second migration while one is queued with 409, and audits the start', async () => {
    for (const body of [{ concurrency: 0 }, { concurrency: 33 }, { max_bytes_per_second: -1 }]) {
      const answer = await admin.call('POST', '/storage/migrate', body);
      expect({ body, status: answer.status, code: answer.body?.code }).toEqual({
        body,
        status: 422,
        code: 'VALIDATION_FAILED',
      });
    }
    const first = await admin.call('POST', '/storage/migrate', {});
    const second = await admin.call('POST', '/storage/migrate', {});
    expect(first.status).toBe(202);
    expect(second).toMatchObject({ status: 409, body: { code: 'ALREADY_EXISTS' } });
    const events = await api.dataSource.query<Record<string, unknown>[]>(
      `SELECT action, actor_type, actor_name, target_name, details FROM audit_events
        WHERE target_type = 'job' AND target_id = $1 ORDER BY id`,
      [first.body?.id],
    );
    expect(events).toEqual([
      {
        action: 'storage.migrate',
        actor_type: 'admin_token',
        actor_name: 'admin',
        target_name: 'storage-migrate',
        details: { concurrency: 4, max_bytes_per_second: null },
      },
    ]);
    await finished(first.body?.id as string);
  });

  it('never leaves a purged object on the primary nor a row without bytes, however a purge and a copy interleave', async () => {
    const copies = api.app.get(ObjectCopiesRepository);
    const purger = api.app.get(ObjectPurger);
    const objects = api.app.get(ObjectsRepository);
    const backends = { primary, fallback };
    const signal = new AbortController().signal;
    const rounds = 30;
    const outcomes = new Map<string, number>();
    for (let round = 0; round < rounds; round += 1) {
      const object = testObject(64 * 1024 + round);
      const key = objectKey(object.oid);
      await put(fallback, object);
      await objects.recordObject({ oid: object.oid, size: object.size, storageKey: key });
      const [row] = await api.dataSource.query<{ id: string }[]>(
        `SELECT id FROM lfs_objects WHERE oid = $1`,
        [object.oid],
      );
      const target = { id: row.id, oid: object.oid, size: object.size, storageKey: key };
      const purge = (): Promise<unknown> => purger.purge(target.id, new Date(Date.now() + 60_000));
      const copy = (): Promise<{ kind: string }> =>
        migrateObject(target, backends, copies, { signal, rate: new ByteRate(null) });
      // Either may start first; the copy's settle and the purge's delete race for the row.
      const [, outcome] =
        round % 2 === 0
          ? await Promise.all([purge(), copy()])
          : (await Promise.all([copy(), purge()])).reverse();
      const { kind } = outcome as { kind: string };
      outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
      const rows = await api.dataSource.query<{ state: string }[]>(
        `SELECT state FROM lfs_objects WHERE oid = $1`,
        [object.oid],
      );
      expect({ round, rows, primary: await primary.stat(key), fallback: await fallback.stat(key) }).toEqual({
        round,
        rows: [],
        primary: undefined,
        fallback: undefined,
      });
    }
    expect([...outcomes.keys()].every((kind) => ['copied', 'purged'].includes(kind))).toBe(true);
  });

  it("keeps a copy the row is present for, and holds an absent row's slot unseen while deleting", async () => {
    const copies = api.app.get(ObjectCopiesRepository);
    const present = testObject(700);
    await factory.linkedObject((await factory.project()).id, { oid: present.oid, size: present.size });
    const kept = await copies.settleCopy(
      { oid: present.oid, size: present.size, storageKey: objectKey(present.oid) },
      () => Promise.resolve(),
    );
    expect(kept).toBe('present');

    const absent = testObject(800);
    let seenDuringSettle: unknown[] | undefined;
    const state = await copies.settleCopy(
      { oid: absent.oid, size: absent.size, storageKey: objectKey(absent.oid) },
      async () => {
        seenDuringSettle = await api.dataSource.query(`SELECT 1 FROM lfs_objects WHERE oid = $1`, [
          absent.oid,
        ]);
      },
    );
    expect(state).toBe('gone');
    expect(seenDuringSettle).toEqual([]);
    expect(await api.dataSource.query(`SELECT 1 FROM lfs_objects WHERE oid = $1`, [absent.oid])).toEqual([]);
  });
});

describe('storage migration without STORAGE_FALLBACK', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApiHarness();
  });

  afterAll(async () => {
    await api.close();
  });

  it('refuses with 422 naming STORAGE_FALLBACK', async () => {
    const answer = await adminClient(api.url).call('POST', '/storage/migrate', {});

    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('STORAGE_FALLBACK is not set'),
    });
  });
});
