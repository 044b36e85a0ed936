import { Readable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobView } from '@lfs-depot/contracts';
import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';
import type { ObjectStorage } from '@lfs-depot/storage';
import { objectKey } from '@lfs-depot/storage';
import { eventually } from '@lfs-depot/testing';

import { JobsRepository } from '../../apps/api/src/jobs/jobs.repository.js';
import type { ApiHarness } from '../helpers/api-harness.js';
import { adminClient, startApiHarness, TEST_ADMIN_TOKEN } from '../helpers/api-harness.js';
import { TestFactory } from '../helpers/factories.js';
import { s3TestStorage } from '../helpers/s3-test-storage.js';
import { request, testObject } from '../helpers/transfer-stack.js';
import type { TestObject } from '../helpers/transfer-stack.js';

const encoded = (project: string): string => encodeURIComponent(project);

/** The key of the advisory lock a collection holds (GcService): held here, a collection waits while running. */
const GC_LOCK_KEY = 0x6c667367;

/** The whole lifecycle on one storage backend; `storage` undefined: the harness's local disk. */
function gcSpecs(storage: () => Promise<ObjectStorage | undefined>): void {
  let api: ApiHarness;
  let admin: ReturnType<typeof adminClient>;
  let factory: TestFactory;

  /** Stores the object's bytes and links it to the project, as a verified upload does. */
  async function uploaded(projectId: string, object: TestObject): Promise<void> {
    await api.storage.put(objectKey(object.oid), Readable.from([object.data]), object);
    await factory.linkedObject(projectId, { oid: object.oid, size: object.size });
  }

  const stored = async (object: TestObject): Promise<boolean> =>
    (await api.storage.stat(objectKey(object.oid)))?.size === object.size;

  async function putReferences(project: string, objects: TestObject[]): Promise<void> {
    const answer = await request(`${api.url}/api/v1/projects/${encoded(project)}/references`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/x-ndjson' },
      body: objects.map(({ oid, size }) => `${JSON.stringify({ oid, size })}\n`).join(''),
    });
    expect(answer.status).toBe(200);
  }

  async function finished(id: string): Promise<JobView> {
    let job: JobView | undefined;
    await eventually(async () => {
      job = (await admin.ok('GET', `/jobs/${id}`)) as unknown as JobView;
      return ['succeeded', 'failed', 'cancelled'].includes(job.state);
    }, 30_000);
    return job as JobView;
  }

  async function gc(body: Record<string, unknown> = {}): Promise<JobView> {
    const started = await admin.call('POST', '/gc', body);
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ kind: 'gc', state: expect.stringMatching(/^(queued|running)$/) });
    return finished(started.body?.id as string);
  }

  async function batchDownload(project: string, object: TestObject): Promise<unknown> {
    const answer = await request(`${api.url}/${project}.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: {
        accept: LFS_MEDIA_TYPE,
        'content-type': LFS_MEDIA_TYPE,
        authorization: `Basic ${Buffer.from('reader:reader-password-1234').toString('base64')}`,
      },
      body: JSON.stringify({ operation: 'download', objects: [{ oid: object.oid, size: object.size }] }),
    });
    return (JSON.parse(answer.body) as { objects: unknown[] }).objects[0];
  }

  beforeAll(async () => {
    api = await startApiHarness({ GC_LINK_GRACE: '0', GC_PURGE_GRACE: '0' }, { storage: await storage() });
    admin = adminClient(api.url);
    factory = TestFactory.forApi(api);
    await factory.user({ username: 'reader', password: 'reader-password-1234' });
  });

  afterAll(async () => {
    await api.close();
  });

  it('unlinks what no ref references, purges what nothing links, and leaves projects without a snapshot alone', async () => {
    const engine = await factory.project({ path: 'gc/engine' });
    const fork = await factory.project({ path: 'gc/fork' });
    const untracked = await factory.project({ path: 'gc/untracked' });
    const [kept, dropped, shared, other] = [
      testObject(100),
      testObject(200),
      testObject(300),
      testObject(400),
    ];
    await uploaded(engine.id, kept);
    await uploaded(engine.id, dropped);
    await uploaded(engine.id, shared);
    await uploaded(fork.id, shared);
    await uploaded(untracked.id, other);
    await putReferences('gc/engine', [kept]);
    await putReferences('gc/fork', [shared]);

    const dry = await gc({ dry_run: true });
    expect(dry).toMatchObject({
      state: 'succeeded',
      result: { dry_run: true, unlinked: 2, unlinked_size: 500 },
    });
    expect((await admin.statistics('gc/engine')).body).toMatchObject({ lfs_objects_count: 3 });

    const run = await gc();
    expect(run.result).toEqual({
      dry_run: false,
      project: null,
      projects_examined: 2,
      unlinked: 2,
      unlinked_size: 500,
      purged: 1,
      purged_size: 200,
    });
    expect((await admin.statistics('gc/engine')).body).toMatchObject({
      lfs_objects_count: 1,
      lfs_objects_size: 100,
    });
    expect((await admin.statistics('gc/fork')).body).toMatchObject({ lfs_objects_count: 1 });
    expect((await admin.statistics('gc/untracked')).body).toMatchObject({ lfs_objects_count: 1 });
    expect(await stored(kept)).toBe(true);
    expect(await stored(shared)).toBe(true);
    expect(await stored(other)).toBe(true);
    expect(await stored(dropped)).toBe(false);
    const actions = await api.dataSource.query<{ action: string }[]>(
      `SELECT action FROM audit_events WHERE actor_type = 'system' ORDER BY id`,
    );
    expect(actions.map(({ action }) => action)).toEqual(['gc.unlink', 'gc.purge']);
  });

  it('deletes an object on purpose: 410 in batch until uploaded again, bytes purged once nothing links them', async () => {
    const first = await factory.project({ path: 'delete/first', members: { reader: 'read' } });
    const second = await factory.project({ path: 'delete/second', members: { reader: 'read' } });
    const secret = testObject(150);
    await uploaded(first.id, secret);
    await uploaded(second.id, secret);

    const fromFirst = await admin.call(
      'DELETE',
      `/projects/${encoded('delete/first')}/objects/${secret.oid}`,
    );
    expect(fromFirst.status).toBe(200);
    expect(fromFirst.body).toEqual({
      oid: secret.oid,
      unlinked_from: ['delete/first'],
      purged: false,
      purged_size: 0,
    });
    expect(await stored(secret)).toBe(true);
    expect(await batchDownload('delete/first', secret)).toMatchObject({
      error: { code: 410, message: 'Object removed by the owner' },
    });
    expect(await batchDownload('delete/second', secret)).toMatchObject({ actions: { download: {} } });

    const everywhere = await admin.call('DELETE', `/objects/${secret.oid}`);
    expect(everywhere.body).toEqual({
      oid: secret.oid,
      unlinked_from: ['delete/second'],
      purged: true,
      purged_size: 150,
    });
    expect(await stored(secret)).toBe(false);
    expect(await batchDownload('delete/second', secret)).toMatchObject({ error: { code: 410 } });
    expect((await admin.call('DELETE', `/objects/${secret.oid}`)).status).toBe(404);

    await uploaded(first.id, secret);
    expect(await batchDownload('delete/first', secret)).toMatchObject({ actions: { download: {} } });
    expect(await batchDownload('delete/second', secret)).toMatchObject({ error: { code: 410 } });
  });

  it('deleting a project unlinks its objects, which the next collection purges', async () => {
    const doomed = await factory.project({ path: 'delete/doomed' });
    const object = testObject(120);
    await uploaded(doomed.id, object);
    expect((await admin.call('DELETE', `/projects/${encoded('delete/doomed')}`)).status).toBe(204);
    const run = await gc();
    expect(run.result).toMatchObject({ purged: expect.any(Number) });
    expect(await stored(object)).toBe(false);
  });

  it('cancels a queued job, and takes over a running job whose instance stopped beating', async () => {
    const jobs = api.app.get(JobsRepository, { strict: false });
    const queued = await jobs.createJob('gc', { project: null, dry_run: true });
    const cancelled = await admin.call('POST', `/jobs/${queued.id}/cancel`);
    expect(cancelled.body).toMatchObject({ id: queued.id, state: 'cancelled', cancel_requested: true });

    const [orphan] = await api.dataSource.query<{ id: string }[]>(
      `INSERT INTO jobs (kind, params, state, owner, heartbeat_at, attempts, started_at)
       VALUES ('gc', '{"project":null,"dry_run":true}', 'running', 'gone-host:1:dead', now() - interval '1 hour', 1,
               now() - interval '1 hour')
       RETURNING id`,
    );
    const resumed = await finished(orphan?.id);
    expect(resumed).toMatchObject({ state: 'succeeded', attempts: 2, result: { dry_run: true } });
    const listed = await admin.ok('GET', '/jobs?limit=2');
    expect((listed?.jobs as JobView[]).map((job) => job.id)).toEqual([orphan?.id, queued.id]);
    expect((await admin.call('GET', '/jobs/999999')).status).toBe(404);
  });

  it('cancels a running collection within a heartbeat (here one waiting for the lock another collection holds)', async () => {
    const holder = api.dataSource.createQueryRunner();
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock($1)`, [GC_LOCK_KEY]);
      const started = await admin.call('POST', '/gc', {});
      const id = started.body?.id as string;
      await eventually(async () => {
        const job = (await admin.ok('GET', `/jobs/${id}`)) as unknown as JobView;
        return job.state === 'running' && job.progress?.phase === 'waiting for another collection';
      }, 15_000);
      expect((await admin.call('POST', `/jobs/${id}/cancel`)).body).toMatchObject({
        state: 'running',
        cancel_requested: true,
      });
      expect(await finished(id)).toMatchObject({ state: 'cancelled', result: null });
      // Who started it and who stopped it; a second cancel of the ended job asks nothing and records nothing.
      expect((await admin.call('POST', `/jobs/${id}/cancel`)).body).toMatchObject({ state: 'cancelled' });
      const events = await api.dataSource.query<Record<string, unknown>[]>(
        `SELECT action, actor_type, actor_name, target_name, details FROM audit_events
          WHERE target_type = 'job' AND target_id = $1 ORDER BY id`,
        [id],
      );
      expect(events).toEqual([
        {
          action: 'gc.start',
          actor_type: 'admin_token',
          actor_name: 'admin',
          target_name: 'gc',
          details: { project: null, dry_run: false },
        },
        {
          action: 'job.cancel',
          actor_type: 'admin_token',
          actor_name: 'admin',
          target_name: 'gc',
          details: { state: 'running' },
        },
      ]);
    } finally {
      await holder.query(`SELECT pg_advisory_unlock($1)`, [GC_LOCK_KEY]);
      await holder.release();
    }
  });

  it('for one project, unlinks only its links and purges only the bytes it was the last to link', async () => {
    const mine = await factory.project({ path: 'scope/mine' });
    const sibling = await factory.project({ path: 'scope/sibling' });
    const keeper = await factory.project({ path: 'scope/keeper' });
    const gone = await factory.project({ path: 'scope/gone' });
    const [onlyMine, alsoKept, siblings, ofDeleted, kept] = [
      testObject(501),
      testObject(502),
      testObject(503),
      testObject(504),
      testObject(505),
    ];
    await uploaded(mine.id, onlyMine);
    await uploaded(mine.id, alsoKept);
    await uploaded(keeper.id, alsoKept);
    await uploaded(mine.id, kept);
    await uploaded(sibling.id, siblings);
    await uploaded(gone.id, ofDeleted);
    await putReferences('scope/mine', [kept]);
    await putReferences('scope/sibling', []);
    expect((await admin.call('DELETE', `/projects/${encoded('scope/gone')}`)).status).toBe(204);

    const dry = await gc({ project: 'scope/mine', dry_run: true });
    expect(dry.result).toMatchObject({ project: 'scope/mine', unlinked: 2, unlinked_size: 1003, purged: 0 });
    const run = await gc({ project: 'scope/mine' });
    expect(run.result).toEqual({
      dry_run: false,
      project: 'scope/mine',
      projects_examined: 1,
      unlinked: 2,
      unlinked_size: 1003,
      purged: 1,
      purged_size: 501,
    });
    expect(await stored(onlyMine)).toBe(false);
    expect(await stored(alsoKept)).toBe(true);
    expect(await stored(kept)).toBe(true);
    expect(await stored(siblings)).toBe(true);
    expect(await stored(ofDeleted)).toBe(true);
    expect((await admin.statistics('scope/sibling')).body).toMatchObject({ lfs_objects_count: 1 });

    const siblingRun = await gc({ project: 'scope/sibling' });
    expect(siblingRun.result).toMatchObject({ unlinked: 1, purged: 1, purged_size: 503 });
    expect(await stored(ofDeleted)).toBe(true);
    expect((await gc()).result).toMatchObject({ unlinked: 0, purged: 1, purged_size: 504 });
    expect(await stored(ofDeleted)).toBe(false);
    expect(await stored(alsoKept)).toBe(true);
  });

  it('refuses a gc of an unknown project (404) and bad parameters (422)', async () => {
    expect((await admin.call('POST', '/gc', { project: 'no/such' })).status).toBe(404);
    expect((await admin.call('POST', '/gc', { dry_run: 'yes' })).status).toBe(422);
  });
}

describe('garbage collection, deletion and jobs (local disk)', () => {
  gcSpecs(() => Promise.resolve(undefined));
});

describe('garbage collection, deletion and jobs (S3, s3rver)', () => {
  const s3 = s3TestStorage();
  gcSpecs(s3.start);
  afterAll(s3.stop);
});
