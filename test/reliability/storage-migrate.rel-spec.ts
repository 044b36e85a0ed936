import { mkdtempSync } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobView, StorageMigrationReport } from '@lfs-depot/contracts';
import { objectKey } from '@lfs-depot/storage';
import { S3Storage } from '@lfs-depot/storage/s3';
import { eventually, s3ConnectionOf } from '@lfs-depot/testing';

import { runCli } from '../helpers/in-process-cli.js';
import { git, lfsUrl, sandboxGitEnvironment } from '../helpers/sandbox.mjs';
import { consistencyProblems, useDeployment, userWithProject } from './helpers/deployment.js';
import type { Instance } from './helpers/instance.js';
import { testObject } from './helpers/lfs-client.js';

const KiB = 1024;
const PROJECT = 'migrate/assets';
/** Slow enough that the clone, the push and the kill all happen while objects are still being copied. */
const MIGRATION_RATE = 256 * KiB;

// The objects' first home, outside the instance's DATA_DIR so that it is named before the instance starts.
const localRoot = mkdtempSync(path.join(os.tmpdir(), 'lfs-depot-migrate-local-'));

describe('online migration from local disk to S3, with git working throughout and a kill -9 midway', () => {
  // A short takeover delay: the job of the killed API is queued again after 6 s instead of 30.
  // JOB_STALE_SECONDS: the killed API's job is queued again after 6 s instead of 30.
  const deployment = useDeployment({
    s3: true,
    env: { STORAGE: `file://${localRoot}`, JOB_STALE_SECONDS: '6' },
  });
  let home: string;
  let gitEnv: NodeJS.ProcessEnv;
  let s3: S3Storage;
  let credentials: { username: string; password: string };
  const instance = (): Instance => deployment().instances[0];
  const endpoint = (): string => lfsUrl(instance().url, PROJECT, credentials);

  /** Both apps again, with `variables` changed: what an operator does to switch STORAGE. */
  async function restart(variables: Record<string, string | undefined>): Promise<void> {
    await instance().kill('proxy');
    await instance().kill('api');
    instance().configure(variables);
    await instance().startApp('api');
    await instance().startApp('proxy');
  }

  async function job(id: string): Promise<JobView> {
    return (await deployment().admin.ok('GET', `/jobs/${id}`)) as unknown as JobView;
  }

  /** A repository with `files` committed as LFS objects, pushed to a new bare repository through the proxy. */
  async function pushRepository(name: string, files: Buffer[]): Promise<string> {
    const work = path.join(home, name);
    await mkdir(work, { recursive: true });
    await git(work, gitEnv, 'init', '-q');
    await git(work, gitEnv, 'lfs', 'track', '*.bin');
    for (const [index, data] of files.entries()) {
      await writeFile(path.join(work, `${name}-${index}.bin`), data);
    }
    await git(work, gitEnv, 'add', '.');
    await git(work, gitEnv, 'commit', '-q', '-m', name);
    const bare = path.join(home, `${name}.git`);
    await git(home, gitEnv, 'init', '-q', '--bare', bare);
    await git(work, gitEnv, '-c', `lfs.url=${endpoint()}`, 'push', '-q', bare, 'main');
    return bare;
  }

  async function cloneAndFsck(bare: string, name: string): Promise<string> {
    const clone = path.join(home, name);
    await git(home, gitEnv, '-c', `lfs.url=${endpoint()}`, 'clone', '-q', bare, clone);
    await git(clone, gitEnv, 'config', 'lfs.url', endpoint());
    return (await git(clone, gitEnv, 'lfs', 'fsck')).stdout;
  }

  const s3Size = async (storageKey: string): Promise<number | undefined> => (await s3.stat(storageKey))?.size;

  beforeAll(async () => {
    home = mkdtempSync(path.join(os.tmpdir(), 'lfs-depot-migrate-git-'));
    gitEnv = await sandboxGitEnvironment(home);
    const server = deployment().s3!;
    s3 = new S3Storage({
      bucket: server.bucket,
      prefix: 'objects',
      ...s3ConnectionOf(server),
    });
    const user = await userWithProject(deployment().admin, 'mover', PROJECT);
    credentials = { username: user.username, password: user.token };
  });

  afterAll(async () => {
    s3?.destroy();
    await rm(home, { recursive: true, force: true });
    await rm(localRoot, { recursive: true, force: true });
  });

  it('copies every object to S3 while clones and pushes work, resumes after kill -9, and ends with fsck clean without the fallback', async () => {
    const before = Array.from({ length: 16 }, (_, index) => testObject(200 * KiB + index * 37 * KiB));
    const original = await pushRepository(
      'original',
      before.map((object) => object.data),
    );
    for (const object of before) {
      expect((await stat(path.join(localRoot, objectKey(object.oid)))).size).toBe(object.size);
    }

    // The switch: S3 first, the local folder as the fallback.
    await restart({ STORAGE: deployment().settings.storage, STORAGE_FALLBACK: `file://${localRoot}` });
    const started = await deployment().admin.call('POST', '/storage/migrate', {
      concurrency: 2,
      max_bytes_per_second: MIGRATION_RATE,
    });
    expect(started.status).toBe(202);
    const id = started.body?.id as string;
    await eventually(async () => ((await job(id)).progress?.done ?? 0) >= 2, 30_000);

    // git keeps working during the copy: a clone reads objects not yet copied through the fallback, a push
    // writes to S3.
    const during = Array.from({ length: 3 }, (_, index) => testObject(50 * KiB + index));
    const [fsckDuring, pushed] = await Promise.all([
      cloneAndFsck(original, 'clone-during'),
      pushRepository(
        'during',
        during.map((object) => object.data),
      ),
    ]);
    expect(fsckDuring).toContain('Git LFS fsck OK');
    for (const object of during) {
      expect(await s3.stat(objectKey(object.oid))).toEqual({ size: object.size });
      expect(await stat(path.join(localRoot, objectKey(object.oid))).catch(() => undefined)).toBeUndefined();
    }

    const atKill = await job(id);
    expect(atKill.state).toBe('running');
    expect(atKill.progress?.done).toBeLessThan(atKill.progress?.total ?? 0);
    await instance().kill('api');
    await instance().startApp('api');

    // Queued again once its heartbeat is stale, run again from the start: what was copied is skipped.
    let finished: JobView | undefined;
    await eventually(async () => {
      finished = await job(id);
      return !['queued', 'running'].includes(finished.state);
    }, 150_000);
    expect(finished).toMatchObject({ state: 'succeeded', attempts: 2 });
    const report = finished?.result as unknown as StorageMigrationReport;
    expect(report).toMatchObject({ objects: 19, missing: 0, corrupt: 0, failed: 0, remaining: 0 });
    expect(report.copied + report.already_migrated).toBe(19);
    // The pushed ones and those copied before the kill.
    expect(report.already_migrated).toBeGreaterThanOrEqual(3 + 2);
    expect(await consistencyProblems(deployment(), s3Size)).toEqual([]);
    // The fallback's copies are kept.
    for (const object of before) {
      expect((await stat(path.join(localRoot, objectKey(object.oid)))).size).toBe(object.size);
    }

    // The CLI's report of a run with nothing left, which tells the operator to remove STORAGE_FALLBACK.
    const { code, stdout } = await runCli(instance().url, ['storage', 'migrate', '--json'], {
      token: deployment().settings.adminToken,
      home,
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ objects: 19, copied: 0, already_migrated: 19, remaining: 0 });

    // Without the fallback, and with the local folder gone, every object still comes from S3.
    await restart({ STORAGE_FALLBACK: undefined });
    await rm(localRoot, { recursive: true, force: true });
    expect(await cloneAndFsck(original, 'clone-after')).toContain('Git LFS fsck OK');
    expect(await cloneAndFsck(pushed, 'clone-pushed')).toContain('Git LFS fsck OK');
    expect(await consistencyProblems(deployment(), s3Size)).toEqual([]);
  }, 400_000);
});
