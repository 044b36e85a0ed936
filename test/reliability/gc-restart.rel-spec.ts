import { mkdtempSync } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, describe, expect, it } from '@jest/globals';
import { eventually } from '@lfs-depot/testing';

import type { AdminClient } from '../helpers/sandbox.mjs';
import { adminClient } from '../helpers/sandbox.mjs';
import { consistencyProblems, useDeployment, userWithProject } from './helpers/deployment.js';
import type { Instance } from './helpers/instance.js';
import { answer, basic, testObject, uploadObject } from './helpers/lfs-client.js';
import type { TestObject } from './helpers/lfs-client.js';

/** Short enough for a test, and well above the 2 s heartbeat (README "Jobs", JOB_STALE_SECONDS). */
const STALE_SECONDS = 5;

/** Objects each collection unlinks and purges: enough that the kill lands well before the purge ends. */
const DROPPED = 200;

/** Purges committed before the kill: the collection is then past its unlink phase and in the middle of purging. */
const KILL_AFTER_PURGES = 10;

const PROJECT = 'gc/killed';
const OTHER = 'gc/other';

interface Job {
  id: string;
  state: string;
  attempts: number;
  progress: { phase: string; done: number; total: number | null } | null;
  result: Record<string, unknown> | null;
}

describe('kill -9 of an API while garbage collection runs', () => {
  // One objects folder for both instances, as a shared volume in production; seeded directly for speed.
  const storageRoot = mkdtempSync(path.join(os.tmpdir(), 'lfs-depot-reliability-objects-'));
  const deployment = useDeployment({
    instances: 2,
    env: {
      STORAGE: `file://${storageRoot}`,
      GC_LINK_GRACE: '0',
      GC_PURGE_GRACE: '0',
      JOB_STALE_SECONDS: String(STALE_SECONDS),
    },
  });
  const kept = [testObject(1100), testObject(1200), testObject(1300)];
  const shared = [testObject(2100), testObject(2200)];
  const dropped = new Set<string>();
  let authorization: string;

  afterAll(async () => {
    await rm(storageRoot, { recursive: true, force: true });
  });

  const instance = (index: 0 | 1): Instance => deployment().instances[index];
  const admin = (index: 0 | 1): AdminClient =>
    adminClient(instance(index).url, deployment().settings.adminToken);

  const storedSize = async (storageKey: string): Promise<number | undefined> =>
    (await stat(path.join(storageRoot, storageKey)).catch(() => undefined))?.size;

  async function projectId(project: string): Promise<string> {
    const [row] = await deployment().query<{ id: string }>(`SELECT id FROM projects WHERE path = $1`, [
      project,
    ]);
    return row.id;
  }

  /**
   * `count` objects linked to the project as verified uploads leave them (bytes stored, row, link, statistics),
   * written straight into storage and the database: thousands of uploads would take longer than the scenario.
   */
  async function seedLinkedObjects(project: string, count: number): Promise<void> {
    const objects = Array.from({ length: count }, () => testObject(64 + Math.floor(Math.random() * 64)));
    const keys = objects.map(({ oid }) => `${oid.slice(0, 2)}/${oid.slice(2, 4)}/${oid}`);
    for (let i = 0; i < objects.length; i += 100) {
      await Promise.all(
        objects.slice(i, i + 100).map(async (object, j) => {
          const file = path.join(storageRoot, keys[i + j]);
          await mkdir(path.dirname(file), { recursive: true });
          await writeFile(file, object.data);
        }),
      );
    }
    const id = await projectId(project);
    await deployment().query(
      `WITH o AS (INSERT INTO lfs_objects (oid, size, storage_key)
                  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[]) RETURNING id)
       INSERT INTO lfs_objects_projects (lfs_object_id, project_id) SELECT id, $4 FROM o`,
      [objects.map(({ oid }) => oid), objects.map(({ size }) => size), keys, id],
    );
    await deployment().query(
      `UPDATE project_statistics
          SET lfs_objects_count = lfs_objects_count + $2, lfs_objects_size = lfs_objects_size + $3
        WHERE project_id = $1`,
      [id, count, objects.reduce((sum, { size }) => sum + size, 0)],
    );
    for (const { oid } of objects) {
      dropped.add(oid);
    }
  }

  /** The project's snapshot: only `kept` is referenced (what a references sync after a history rewrite sends). */
  async function sendReferences(): Promise<void> {
    const sent = await answer(
      `${instance(0).url}/api/v1/projects/${encodeURIComponent(PROJECT)}/references`,
      {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${deployment().settings.adminToken}`,
          'content-type': 'application/x-ndjson',
        },
        body: kept.map(({ oid, size }) => `${JSON.stringify({ oid, size })}\n`).join(''),
      },
    );
    expect(sent.status).toBe(200);
  }

  /** The job as one instance answers it, a moment later (polling faster only adds load to a loaded machine). */
  async function job(index: 0 | 1, id: string): Promise<Job> {
    await sleep(200);
    return (await admin(index).ok('GET', `/jobs/${id}`)) as unknown as Job;
  }

  /** Follows the job through one instance (as `lfs-depot gc` does through a load balancer) until it ends. */
  async function finished(index: 0 | 1, id: string): Promise<Job> {
    let last: Job | undefined;
    await eventually(async () => {
      last = await job(index, id);
      return ['succeeded', 'failed', 'cancelled'].includes(last.state);
    }, 90_000);
    return last as Job;
  }

  /** Links whose object has no bytes at its size: the one thing that must never exist, not even mid-purge. */
  async function linksWithoutBytes(): Promise<string[]> {
    const linked = await deployment().query<{ oid: string; size: string; storage_key: string }>(
      `SELECT DISTINCT o.oid, o.size::text, o.storage_key
         FROM lfs_objects o JOIN lfs_objects_projects l ON l.lfs_object_id = o.id`,
    );
    const missing: string[] = [];
    for (const object of linked) {
      if ((await storedSize(object.storage_key)) !== Number(object.size)) {
        missing.push(object.oid);
      }
    }
    return missing;
  }

  async function storedOids(): Promise<string[]> {
    const entries = await readdir(storageRoot, { recursive: true, withFileTypes: true });
    return entries
      .filter(
        (entry) =>
          entry.isFile() &&
          !path.relative(storageRoot, entry.parentPath).startsWith('tmp') &&
          entry.name !== 'lfs-depot-storage.json',
      )
      .map((entry) => entry.name)
      .sort();
  }

  const oids = (objects: TestObject[]): string[] => objects.map(({ oid }) => oid).sort();

  const purgeEvents = async (): Promise<number> =>
    Number(
      (
        await deployment().query<{ count: string }>(
          `SELECT count(*)::text AS count FROM audit_events WHERE action = 'gc.purge'`,
        )
      )[0].count,
    );

  /**
   * Queues a collection through one instance and kills that instance's API once it has purged a few objects
   * (watched in the database, where each purge commits, rather than in the job's progress, which lags a heartbeat).
   */
  async function gcKilledWhilePurging(index: 0 | 1): Promise<string> {
    const before = await purgeEvents();
    const started = await admin(index).call('POST', '/gc', {});
    expect(started.status).toBe(202);
    const id = started.body?.id as string;
    await eventually(async () => (await purgeEvents()) >= before + KILL_AFTER_PURGES, 60_000);
    await instance(index).kill('api');
    const [state] = await deployment().query<{ job: string; purging: string }>(
      `SELECT (SELECT state FROM jobs WHERE id = $1) AS job,
              (SELECT count(*)::text FROM lfs_objects WHERE state = 'purging') AS purging`,
      [id],
    );
    console.log(
      `gc job ${id} killed after ${(await purgeEvents()) - before} purges, ${state.purging} row(s) left purging`,
    );
    // DROPPED too small for this machine's speed if not: the kill came after the job ended.
    expect(state.job).toBe('running');
    expect(await linksWithoutBytes()).toEqual([]);
    return id;
  }

  /** After a collection finished: only what a ref or another project needs is left, and all of it is whole. */
  async function expectOnlyNeededObjectsLeft(): Promise<void> {
    expect(await consistencyProblems(deployment(), storedSize)).toEqual([]);
    expect(await linksWithoutBytes()).toEqual([]);
    const links = await deployment().query<{ path: string; oid: string }>(
      `SELECT p.path, o.oid FROM lfs_objects_projects l
         JOIN lfs_objects o ON o.id = l.lfs_object_id JOIN projects p ON p.id = l.project_id
        ORDER BY p.path, o.oid`,
    );
    expect(links.filter((link) => link.path === PROJECT).map((link) => link.oid)).toEqual(oids(kept));
    expect(links.filter((link) => link.path === OTHER).map((link) => link.oid)).toEqual(oids(shared));
    expect(await storedOids()).toEqual(oids([...kept, ...shared]));
    // Each dropped object purged exactly once over every attempt: its gc.purge event commits with its row's removal.
    const purges = await deployment().query<{ oid: string; events: string }>(
      `SELECT details->>'oid' AS oid, count(*)::text AS events FROM audit_events WHERE action = 'gc.purge'
        GROUP BY 1`,
    );
    expect(purges.filter(({ events }) => events !== '1')).toEqual([]);
    expect(new Set(purges.map(({ oid }) => oid))).toEqual(dropped);
  }

  it('sets up objects a ref references, objects another project links too, and hundreds to drop', async () => {
    const { admin: firstAdmin } = deployment();
    const user = await userWithProject(firstAdmin, 'collector', PROJECT);
    await firstAdmin.ok('POST', '/projects', { path: OTHER });
    await firstAdmin.ok('PUT', `/projects/${encodeURIComponent(OTHER)}/members/collector`, {
      role: 'write',
    });
    authorization = basic(user.username, user.token);
    for (const object of [...kept, ...shared]) {
      expect(await uploadObject(instance(0).url, PROJECT, object, authorization)).toEqual({
        put: 200,
        verify: 200,
      });
    }
    for (const object of shared) {
      expect((await uploadObject(instance(1).url, OTHER, object, authorization)).put).toBe(200);
    }
    await seedLinkedObjects(PROJECT, DROPPED);
    await sendReferences();
  });

  it('the other instance takes the job over once its heartbeat is stale, and finishes it', async () => {
    const id = await gcKilledWhilePurging(0);
    const done = await finished(1, id);
    expect(done).toMatchObject({ state: 'succeeded', attempts: 2 });
    await expectOnlyNeededObjectsLeft();
    await instance(0).startApp('api');
  }, 120_000);

  it('a restarted instance takes its own interrupted job over and finishes it', async () => {
    await seedLinkedObjects(PROJECT, DROPPED);
    await sendReferences();
    const id = await gcKilledWhilePurging(1);
    await instance(1).startApp('api');
    const done = await finished(1, id);
    expect(done).toMatchObject({ state: 'succeeded', attempts: 2 });
    await expectOnlyNeededObjectsLeft();
  }, 120_000);
});
