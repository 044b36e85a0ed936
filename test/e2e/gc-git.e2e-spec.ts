import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { GcReport } from '@lfs-depot/contracts';
import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';
import type { ObjectStorage } from '@lfs-depot/storage';
import { objectKey } from '@lfs-depot/storage';

import { adminClient } from '../helpers/api-harness.js';
import { createGitEnvironment, git, lfsUrl, randomObject } from '../helpers/git.js';
import { s3TestStorage } from '../helpers/s3-test-storage.js';
import type { Stack } from '../helpers/stack.js';
import { startStack } from '../helpers/stack.js';
import type { CliRun } from '../helpers/in-process-cli.js';
import { runCli } from '../helpers/in-process-cli.js';
import { basic, request } from '../helpers/transfer-stack.js';

const alice = { username: 'alice', password: 'alice-password-123' };

/** Runs the CLI in process against the stack. */
function cli(stack: Stack, ...args: string[]): Promise<CliRun> {
  return runCli(stack.url, args);
}

function lifecycle(
  name: string,
  storage: () => Promise<ObjectStorage | undefined>,
  stop: () => Promise<void>,
): void {
  describe(`references, gc and deletion with real git and git-lfs (${name})`, () => {
    let stack: Stack;
    let home: string;
    let env: NodeJS.ProcessEnv;
    let admin: ReturnType<typeof adminClient>;
    const files = {
      'keep.bin': randomObject(3000),
      'dropped.bin': randomObject(4000),
      'shared.bin': randomObject(5000),
      'feature.bin': randomObject(6000),
    };

    const stored = async (oid: string, size: number): Promise<boolean> =>
      (await stack.api.storage.stat(objectKey(oid)))?.size === size;

    async function push(work: string, project: string, ...args: string[]): Promise<void> {
      await git(work, env, '-c', `lfs.url=${lfsUrl(stack.url, project, alice)}`, 'push', '-q', ...args);
    }

    async function batchDownload(
      project: string,
      oid: string,
      size: number,
    ): Promise<Record<string, unknown>> {
      const answer = await request(`${stack.url}/${project}.git/info/lfs/objects/batch`, {
        method: 'POST',
        headers: {
          accept: LFS_MEDIA_TYPE,
          'content-type': LFS_MEDIA_TYPE,
          authorization: basic(alice.username, alice.password),
        },
        body: JSON.stringify({ operation: 'download', objects: [{ oid, size }] }),
      });
      return (JSON.parse(answer.body) as { objects: Record<string, unknown>[] }).objects[0] ?? {};
    }

    beforeAll(async () => {
      stack = await startStack({ GC_LINK_GRACE: '0', GC_PURGE_GRACE: '0' }, { storage: await storage() });
      ({ home, env } = await createGitEnvironment());
      admin = adminClient(stack.url);
      await admin.createUser(alice.username, alice.password);
      for (const project of ['team/repo', 'other/copy']) {
        await admin.createProject(project);
        await admin.setMember(project, alice.username, 'write');
      }
    });

    afterAll(async () => {
      await stack.close();
      await stop();
      await rm(home, { recursive: true, force: true });
    });

    it('keeps what some ref reaches, unlinks and purges what history rewriting dropped, and every clone passes fsck', async () => {
      const work = path.join(home, 'work');
      const bare = path.join(home, 'repo.git');
      await mkdir(work, { recursive: true });
      await git(work, env, 'init', '-q', '-b', 'main');
      await git(work, env, 'lfs', 'track', '*.bin');
      await writeFile(path.join(work, '.lfsconfig'), `[lfs]\n\turl = ${lfsUrl(stack.url, 'team/repo')}\n`);
      for (const file of ['keep.bin', 'dropped.bin', 'shared.bin'] as const) {
        await writeFile(path.join(work, file), files[file].data);
      }
      await git(work, env, 'add', '.');
      await git(work, env, 'commit', '-q', '-m', 'add files');
      await git(work, env, 'checkout', '-q', '-b', 'feature');
      await writeFile(path.join(work, 'feature.bin'), files['feature.bin'].data);
      await git(work, env, 'add', 'feature.bin');
      await git(work, env, 'commit', '-q', '-m', 'feature');
      await git(work, env, 'checkout', '-q', 'main');
      await git(home, env, 'init', '-q', '--bare', bare);
      await git(work, env, 'remote', 'add', 'origin', bare);
      await push(work, 'team/repo', 'origin', 'main', 'feature');
      // shared.bin is in another project too: its bytes must outlive its link in team/repo.
      const copy = path.join(home, 'copy');
      await mkdir(copy);
      await git(copy, env, 'init', '-q', '-b', 'main');
      await git(copy, env, 'lfs', 'track', '*.bin');
      await writeFile(path.join(copy, 'shared.bin'), files['shared.bin'].data);
      await git(copy, env, 'add', '.');
      await git(copy, env, 'commit', '-q', '-m', 'shared');
      await git(home, env, 'init', '-q', '--bare', path.join(home, 'copy.git'));
      await git(copy, env, 'remote', 'add', 'origin', path.join(home, 'copy.git'));
      await push(copy, 'other/copy', 'origin', 'main');
      expect((await admin.statistics('team/repo')).body).toMatchObject({ lfs_objects_count: 4 });

      // History rewritten: dropped.bin and shared.bin were never committed to main, as far as any ref knows.
      await git(work, env, 'rm', '-q', 'dropped.bin', 'shared.bin');
      await git(work, env, 'commit', '-q', '--amend', '-m', 'add files');
      await git(work, env, 'checkout', '-q', 'feature');
      await git(work, env, 'rebase', '-q', '--onto', 'main', 'HEAD~1');
      await git(work, env, 'checkout', '-q', 'main');
      await push(work, 'team/repo', '--force', 'origin', 'main', 'feature');
      await git(bare, env, 'reflog', 'expire', '--expire=now', '--all');
      await git(bare, env, 'gc', '-q', '--prune=now');

      const sync = await cli(stack, 'references', 'sync', 'team/repo', '--git-dir', bare, '--json');
      expect(sync.stderr).toBe('');
      expect(JSON.parse(sync.stdout)).toMatchObject({
        referenced: 2,
        linked_unreferenced: 2,
        referenced_missing: 0,
      });

      const dry = await cli(stack, 'gc', '--dry-run', '--json');
      expect(JSON.parse(dry.stdout)).toMatchObject({ dry_run: true, unlinked: 2 });
      const run = await cli(stack, 'gc', '--json');
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as GcReport;
      expect(report).toMatchObject({
        dry_run: false,
        unlinked: 2,
        unlinked_size: 9000,
        purged: 1,
        purged_size: 4000,
      });

      expect((await admin.statistics('team/repo')).body).toMatchObject({
        lfs_objects_count: 2,
        lfs_objects_size: 9000,
      });
      expect(await stored(files['dropped.bin'].oid, 4000)).toBe(false);
      expect(await stored(files['shared.bin'].oid, 5000)).toBe(true);
      expect(await stored(files['keep.bin'].oid, 3000)).toBe(true);
      expect(await stored(files['feature.bin'].oid, 6000)).toBe(true);

      for (const ref of ['main', 'feature']) {
        const clone = path.join(home, `clone-${ref}`);
        await git(
          home,
          env,
          '-c',
          `lfs.url=${lfsUrl(stack.url, 'team/repo', alice)}`,
          'clone',
          '-q',
          '--branch',
          ref,
          bare,
          clone,
        );
        await git(clone, env, 'config', 'lfs.url', lfsUrl(stack.url, 'team/repo', alice));
        await git(clone, env, 'lfs', 'pull');
        const fsck = await git(clone, env, 'lfs', 'fsck');
        expect(fsck.stdout).toMatch(/Git LFS fsck OK/);
      }
    });

    it('answers 410 for a deleted object until it is uploaded again', async () => {
      const { oid } = files['keep.bin'];
      const deleted = await cli(stack, 'objects', 'delete', 'team/repo', oid, '--json');
      expect(deleted.code).toBe(0);
      expect(JSON.parse(deleted.stdout)).toEqual({
        oid,
        unlinked_from: ['team/repo'],
        purged: true,
        purged_size: 3000,
      });
      expect(await stored(oid, 3000)).toBe(false);
      expect(await batchDownload('team/repo', oid, 3000)).toMatchObject({
        error: { code: 410, message: 'Object removed by the owner' },
      });
      const work = path.join(home, 'work');
      await git(
        work,
        env,
        '-c',
        `lfs.url=${lfsUrl(stack.url, 'team/repo', alice)}`,
        'lfs',
        'push',
        '--object-id',
        'origin',
        oid,
      );
      expect(await batchDownload('team/repo', oid, 3000)).toMatchObject({ actions: { download: {} } });
      expect(await stored(oid, 3000)).toBe(true);
    });
  });
}

lifecycle(
  'local disk',
  () => Promise.resolve(undefined),
  () => Promise.resolve(),
);

const s3 = s3TestStorage();
lifecycle('S3, s3rver', s3.start, s3.stop);
