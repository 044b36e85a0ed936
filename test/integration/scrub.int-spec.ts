import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobView, ScrubReport } from '@lfs-depot/contracts';
import { ErrorCode } from '@lfs-depot/contracts';
import type { LocalStorage } from '@lfs-depot/storage';
import { checkStoredObject, objectKey } from '@lfs-depot/storage';
import { eventually } from '@lfs-depot/testing';

import { ObjectDamageRepository } from '../../apps/api/src/objects/object-damage.repository.js';
import { ObjectPurger } from '../../apps/api/src/objects/object-purger.js';
import { ObjectsRepository } from '../../apps/api/src/objects/objects.repository.js';
import type { ApiHarness } from '../helpers/api-harness.js';
import { adminClient, startApiHarness, TEST_METRICS_TOKEN } from '../helpers/api-harness.js';
import { TestFactory } from '../helpers/factories.js';
import { request, testObject } from '../helpers/transfer-stack.js';
import type { TestObject } from '../helpers/transfer-stack.js';

/** Rounds of the repair-against-healing race: enough interleavings to catch a missing lock or check. */
const ROUNDS = 40;

describe('scrub repair and the object states', () => {
  let api: ApiHarness;
  let admin: ReturnType<typeof adminClient>;
  let factory: TestFactory;
  let objects: ObjectsRepository;
  let damage: ObjectDamageRepository;

  const rowOf = async (object: TestObject): Promise<{ id: string; damage: string | null } | undefined> =>
    (
      await api.dataSource.query<{ id: string; damage: string | null }[]>(
        `SELECT id, damage FROM lfs_objects WHERE oid = $1 AND size = $2`,
        [object.oid, object.size],
      )
    )[0];

  const condition = (object: TestObject): Promise<string> =>
    checkStoredObject(api.storage, objectKey(object.oid), object);

  /** Writes other bytes of the same size under the object's key, as a failing disk would. */
  async function corrupt(object: TestObject): Promise<void> {
    const bad = Buffer.from(object.data);
    bad[0] = (bad[0] ?? 0) ^ 0xff;
    await writeFile(path.join((api.storage as LocalStorage).root, objectKey(object.oid)), bad);
  }

  /** What scrub's repair does to one row: a second look under the lock, corrupt bytes moved aside. */
  function repair(object: TestObject, id: string): Promise<unknown> {
    return damage.markDamaged(
      id,
      (key) => checkStoredObject(api.storage, key, object),
      (key) => api.storage.quarantine?.(key) ?? Promise.resolve(undefined),
    );
  }

  /** A verified upload that writes the bytes, retried while finalize answers 503 (what git-lfs does). */
  async function heal(projectId: string, object: TestObject): Promise<void> {
    for (;;) {
      await api.storage.put(objectKey(object.oid), Readable.from([object.data]), object);
      try {
        await objects.linkObjectToProject(
          projectId,
          { oid: object.oid, size: object.size, storageKey: objectKey(object.oid) },
          null,
          {
            confirmStored: async (key) => (await api.storage.stat(key))?.size === object.size,
            wroteBytes: true,
          },
        );
        return;
      } catch (error) {
        if ((error as { code?: unknown }).code !== ErrorCode.SERVICE_UNAVAILABLE) {
          throw error;
        }
      }
    }
  }

  async function uploaded(projectId: string, object: TestObject): Promise<void> {
    await api.storage.put(objectKey(object.oid), Readable.from([object.data]), object);
    await factory.linkedObject(projectId, { oid: object.oid, size: object.size });
  }

  async function scrub(body: Record<string, unknown>): Promise<ScrubReport> {
    const started = await admin.call('POST', '/scrub', body);
    expect(started.status).toBe(202);
    let job: JobView | undefined;
    await eventually(async () => {
      job = (await admin.ok('GET', `/jobs/${started.body?.id as string}`)) as unknown as JobView;
      return ['succeeded', 'failed', 'cancelled'].includes(job.state);
    }, 30_000);
    expect(job).toMatchObject({ kind: 'scrub', state: 'succeeded' });
    return job?.result as unknown as ScrubReport;
  }

  beforeAll(async () => {
    api = await startApiHarness({ GC_LINK_GRACE: '0', GC_PURGE_GRACE: '0' });
    admin = adminClient(api.url);
    factory = TestFactory.forApi(api);
    objects = api.app.get(ObjectsRepository, { strict: false });
    damage = api.app.get(ObjectDamageRepository, { strict: false });
  });

  afterAll(async () => {
    await api.close();
  });

  it('never leaves an unmarked row with bad bytes when a repair races an upload that heals it', async () => {
    const project = await factory.project({ path: 'scrub/race' });
    for (let round = 0; round < ROUNDS; round += 1) {
      const object = testObject(2000 + round);
      await uploaded(project.id, object);
      await corrupt(object);
      const row = await rowOf(object);
      await Promise.all([repair(object, row?.id as string), heal(project.id, object)]);
      // Whichever went first, the upload's bytes are what is stored, and no mark outlives them.
      expect(await rowOf(object)).toEqual({ id: row?.id, damage: null });
      expect(await condition(object)).toBe('intact');
    }
  });

  it('keeps the mark through a deduplicated link, clears it with written bytes, and lets gc purge a damaged row', async () => {
    const first = await factory.project({ path: 'scrub/first' });
    const second = await factory.project({ path: 'scrub/second' });
    const object = testObject(3000);
    await uploaded(first.id, object);
    await api.storage.delete(objectKey(object.oid));
    const row = await rowOf(object);
    expect(await repair(object, row?.id as string)).toEqual({ damage: 'missing', movedTo: undefined });
    // Marked once: a second repair leaves it as it is.
    expect(await repair(object, row?.id as string)).toBeUndefined();

    // A link that did not write the bytes (the proxy's verify) does not heal, and the project sees no object.
    await api.storage.put(objectKey(object.oid), Readable.from([object.data]), object);
    await objects.linkObjectToProject(second.id, { ...object, storageKey: objectKey(object.oid) }, null, {
      confirmStored: async () => Promise.resolve(true),
    });
    expect((await rowOf(object))?.damage).toBe('missing');
    expect(await objects.findLinkedSizes(second.id, [object.oid])).toEqual(new Map());
    expect((await objects.findUnavailableOids(second.id, [object.oid])).damaged).toEqual(
      new Set([object.oid]),
    );
    expect(await objects.findObject(object.oid, object.size)).toMatchObject({ damaged: true });

    await heal(second.id, object);
    expect((await rowOf(object))?.damage).toBeNull();
    expect(await objects.findLinkedSizes(first.id, [object.oid])).toEqual(new Map([[object.oid, 3000]]));

    // A damaged row no project links is purged like any other; its quarantined bytes stay.
    const doomed = testObject(3100);
    await uploaded(first.id, doomed);
    await corrupt(doomed);
    const doomedRow = await rowOf(doomed);
    const mark = (await repair(doomed, doomedRow?.id as string)) as { movedTo: string };
    expect(mark.movedTo).toMatch(/^quarantine\//);
    await objects.unlinkObjects(first.id, { oids: [doomed.oid] });
    expect(
      await api.app.get(ObjectPurger, { strict: false }).purge(doomedRow?.id as string, new Date()),
    ).toBeDefined();
    expect(await rowOf(doomed)).toBeUndefined();
    expect(
      await api.dataSource.query(`SELECT 1 FROM lfs_objects WHERE quarantined_as IS NOT NULL AND oid = $1`, [
        doomed.oid,
      ]),
    ).toEqual([]);
    expect(await stat(path.join((api.storage as LocalStorage).root, mark.movedTo))).toMatchObject({
      size: 3100,
    });
    // A purging row is never marked.
    const purging = testObject(3200);
    await uploaded(first.id, purging);
    const purgingRow = await rowOf(purging);
    await api.dataSource.query(`UPDATE lfs_objects SET state = 'purging' WHERE id = $1`, [purgingRow?.id]);
    await api.storage.delete(objectKey(purging.oid));
    expect(await repair(purging, purgingRow?.id as string)).toBeUndefined();
    await api.dataSource.query(`UPDATE lfs_objects SET state = 'present' WHERE id = $1`, [purgingRow?.id]);
    await objects.unlinkObjects(first.id, { oids: [purging.oid] });
  });

  it('runs as a job: validates its body, reports each oid, repairs, and sets the metrics', async () => {
    for (const [body, status] of [
      [{ sample: 0 }, 422],
      [{ sample: 1.5 }, 422],
      [{ repair: 'yes' }, 422],
      [{ rate_bytes_per_second: -1 }, 422],
      [{ project: 'scrub/none' }, 404],
    ] as const) {
      expect((await admin.call('POST', '/scrub', body)).status).toBe(status);
    }
    const project = await factory.project({ path: 'scrub/job' });
    const [good, bad, lost] = [testObject(500), testObject(600), testObject(700)];
    for (const object of [good, bad, lost]) {
      await uploaded(project.id, object);
    }
    await corrupt(bad);
    await api.storage.delete(objectKey(lost.oid));

    const found = await scrub({ project: 'scrub/job', rate_bytes_per_second: 1_000_000 });
    expect(found).toMatchObject({
      project: 'scrub/job',
      repair: false,
      checked: 3,
      checked_size: 1800,
      damaged: 0,
      counts: { missing: 1, corrupt: 1, orphan: 0, temp: 0 },
    });
    expect(found.problems).toEqual(
      expect.arrayContaining([
        { kind: 'corrupt', oid: bad.oid, size: 600, key: objectKey(bad.oid), repair: null },
        { kind: 'missing', oid: lost.oid, size: 700, key: objectKey(lost.oid), repair: null },
      ]),
    );
    expect((await rowOf(bad))?.damage).toBeNull();

    const repaired = await scrub({ project: 'scrub/job', repair: true });
    expect(repaired.counts).toMatchObject({ missing: 1, corrupt: 1 });
    expect((await rowOf(bad))?.damage).toBe('corrupt');
    expect((await rowOf(lost))?.damage).toBe('missing');
    expect(await api.storage.stat(objectKey(bad.oid))).toBeUndefined();

    const metrics = await request(`${api.url}/metrics`, {
      method: 'GET',
      headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` },
    });
    expect(metrics.body).toMatch(/lfs_depot_scrub_problems\{kind="corrupt"[^}]*\} 1/);
    expect(metrics.body).toMatch(/lfs_depot_scrub_objects_checked(\{[^}]*\})? 3\n/);
  });
});
