import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ScrubReport } from '@lfs-depot/contracts';
import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';
import type { LocalStorage, ObjectStorage } from '@lfs-depot/storage';
import { objectKey } from '@lfs-depot/storage';
import { S3Storage } from '@lfs-depot/storage/s3';
import type { S3TestServer } from '@lfs-depot/testing';
import { s3ConnectionOf, startS3Server } from '@lfs-depot/testing';

import { adminClient } from '../helpers/api-harness.js';
import { createGitEnvironment, git, lfsUrl, randomObject } from '../helpers/git.js';
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

/** How a test reaches behind the server's back: overwrite stored bytes with others, unverified. */
interface Backend {
  storage(): Promise<ObjectStorage | undefined>;
  /** Writes `data` under `key` as a failing disk or a stray tool would: no hashing, no row. */
  overwrite(stack: Stack, key: string, data: Buffer): Promise<void>;
  /** Leaves an upload leftover that the sweep's age allows to be called dead; false when the backend cannot. */
  leaveTempFile(stack: Stack): Promise<boolean>;
  stop(): Promise<void>;
}

function scrubbing(name: string, backend: Backend): void {
  describe(`scrub with real git and git-lfs (${name})`, () => {
    let stack: Stack;
    let home: string;
    let env: NodeJS.ProcessEnv;
    const files = {
      'good.bin': randomObject(3000),
      'corrupt.bin': randomObject(4000),
      'deleted.bin': randomObject(5000),
    };
    const stray = randomObject(700);

    async function batch(
      operation: 'upload' | 'download',
      oid: string,
      size: number,
    ): Promise<Record<string, unknown>> {
      const answer = await request(`${stack.url}/team/repo.git/info/lfs/objects/batch`, {
        method: 'POST',
        headers: {
          accept: LFS_MEDIA_TYPE,
          'content-type': LFS_MEDIA_TYPE,
          authorization: basic(alice.username, alice.password),
        },
        body: JSON.stringify({ operation, objects: [{ oid, size }] }),
      });
      return (JSON.parse(answer.body) as { objects: Record<string, unknown>[] }).objects[0] ?? {};
    }

    const problem = (kind: string, oid: string | null, extra: Record<string, unknown> = {}): unknown =>
      expect.objectContaining({ kind, oid, ...extra });

    beforeAll(async () => {
      stack = await startStack({}, { storage: await backend.storage() });
      ({ home, env } = await createGitEnvironment());
      const admin = adminClient(stack.url);
      await admin.createUser(alice.username, alice.password);
      await admin.createProject('team/repo');
      await admin.setMember('team/repo', alice.username, 'write');
    });

    afterAll(async () => {
      await stack.close();
      await backend.stop();
      await rm(home, { recursive: true, force: true });
    });

    it('finds corrupt, deleted and stray bytes; --repair makes the next push upload them again and the clone pass fsck', async () => {
      const work = path.join(home, 'work');
      const bare = path.join(home, 'repo.git');
      const url = lfsUrl(stack.url, 'team/repo', alice);
      await mkdir(work, { recursive: true });
      await git(work, env, 'init', '-q', '-b', 'main');
      await git(work, env, 'lfs', 'track', '*.bin');
      for (const [file, object] of Object.entries(files)) {
        await writeFile(path.join(work, file), object.data);
      }
      await git(work, env, 'add', '.');
      await git(work, env, 'commit', '-q', '-m', 'add files');
      await git(home, env, 'init', '-q', '--bare', bare);
      await git(work, env, 'remote', 'add', 'origin', bare);
      await git(work, env, '-c', `lfs.url=${url}`, 'push', '-q', 'origin', 'main');

      const clean = await cli(stack, 'scrub', '--json');
      expect(clean.code).toBe(0);
      expect(JSON.parse(clean.stdout)).toMatchObject({
        checked: 3,
        checked_size: 12_000,
        counts: { missing: 0, corrupt: 0, orphan: 0, temp: 0 },
        problems: [],
      });

      const corrupt = files['corrupt.bin'];
      const deleted = files['deleted.bin'];
      const flipped = Buffer.from(corrupt.data);
      flipped[100] = (flipped[100] ?? 0) ^ 0xff;
      await backend.overwrite(stack, objectKey(corrupt.oid), flipped);
      await stack.api.storage.delete(objectKey(deleted.oid));
      // Verified bytes that no row knows: an object stored behind the database's back.
      await stack.api.storage.put(objectKey(stray.oid), Readable.from([stray.data]), {
        oid: stray.oid,
        size: 700,
      });
      const leftover = await backend.leaveTempFile(stack);

      const found = await cli(stack, 'scrub', '--json');
      expect(found.code).toBe(1);
      const report = JSON.parse(found.stdout) as ScrubReport;
      expect(report).toMatchObject({
        checked: 3,
        repair: false,
        counts: { missing: 1, corrupt: 1, orphan: 1, temp: leftover ? 1 : 0 },
        problems_truncated: false,
      });
      expect(report.problems).toEqual(
        expect.arrayContaining([
          problem('missing', deleted.oid, { size: 5000, repair: null }),
          problem('corrupt', corrupt.oid, { size: 4000, repair: null }),
          problem('orphan', stray.oid, { size: 700, key: objectKey(stray.oid) }),
        ]),
      );
      // Found, not repaired: the batch still offers the corrupt bytes (git-lfs would refuse them on its hash).
      expect(await batch('download', corrupt.oid, 4000)).toMatchObject({ actions: { download: {} } });

      const human = await cli(stack, 'scrub', '--project', 'team/repo');
      expect(human.code).toBe(1);
      expect(human.stdout).toMatch(/2 problem\(s\): 1 missing, 1 corrupt, 0 without a row/);
      expect(human.stdout).toContain(corrupt.oid);
      expect(human.stdout).toContain(deleted.oid);

      const repaired = await cli(stack, 'scrub', '--repair', '--json');
      expect(repaired.code).toBe(1);
      const repairReport = JSON.parse(repaired.stdout) as ScrubReport;
      expect(repairReport.problems).toEqual(
        expect.arrayContaining([
          problem('missing', deleted.oid, { repair: 'marked' }),
          problem('corrupt', corrupt.oid, {
            repair: 'moved',
            moved_to: expect.stringMatching(new RegExp(`^quarantine/.*${corrupt.oid}\\.\\d+$`)),
          }),
        ]),
      );
      if (leftover) {
        expect(repairReport.problems).toEqual(
          expect.arrayContaining([problem('temp', null, { repair: 'removed' })]),
        );
      }
      // The corrupt bytes were moved aside, never served again; both objects are asked for again, even with the
      // project at its quota: it pays for them already, so healing them adds nothing.
      expect(await stack.api.storage.stat(objectKey(corrupt.oid))).toBeUndefined();
      const admin = adminClient(stack.url);
      expect((await admin.call('PATCH', '/projects/team%2Frepo', { quota_bytes: 12_000 })).status).toBe(200);
      const statistics = { lfs_objects_count: 3, lfs_objects_size: 12_000, quota_bytes: 12_000 };
      expect((await admin.statistics('team/repo')).body).toEqual(statistics);
      for (const [oid, size] of [
        [corrupt.oid, 4000],
        [deleted.oid, 5000],
      ] as const) {
        expect(await batch('download', oid, size)).toMatchObject({
          error: { code: 404, message: 'Object is damaged on the server; push it again to repair it' },
        });
        expect(await batch('upload', oid, size)).toMatchObject({ actions: { upload: {}, verify: {} } });
      }
      expect(await batch('upload', files['good.bin'].oid, 3000)).not.toHaveProperty('actions');

      // The push check refuses pointers to them, naming them as damaged (not missing), until they are uploaded.
      const pushCheck = async (): Promise<Record<string, unknown> | undefined> =>
        (
          await admin.call('POST', '/projects/team%2Frepo/push-check', {
            username: alice.username,
            changes: [
              {
                ref: 'refs/heads/main',
                pointers: Object.entries(files).map(([name, file]) => ({
                  oid: file.oid,
                  size: file.data.length,
                  paths: [name],
                })),
              },
            ],
          })
        ).body;
      expect(await pushCheck()).toEqual({
        allowed: false,
        locked: [],
        missing: [],
        damaged: expect.arrayContaining([
          { oid: corrupt.oid, size: 4000, paths: ['corrupt.bin'] },
          { oid: deleted.oid, size: 5000, paths: ['deleted.bin'] },
        ]) as unknown,
      });

      // A second scrub still reports the marked objects (without re-reading them) until they are uploaded again.
      const still = JSON.parse((await cli(stack, 'scrub', '--json')).stdout) as ScrubReport;
      expect(still).toMatchObject({ checked: 1, damaged: 2, counts: { missing: 1, corrupt: 1, temp: 0 } });

      await git(work, env, '-c', `lfs.url=${url}`, 'lfs', 'push', '--all', 'origin', 'main');
      expect(await stack.api.storage.stat(objectKey(corrupt.oid))).toEqual({ size: 4000 });
      expect(await stack.api.storage.stat(objectKey(deleted.oid))).toEqual({ size: 5000 });
      expect((await admin.statistics('team/repo')).body).toEqual(statistics);
      expect(await pushCheck()).toEqual({ allowed: true, locked: [], missing: [], damaged: [] });

      await stack.api.storage.delete(objectKey(stray.oid));
      const healed = await cli(stack, 'scrub', '--json');
      expect(healed.code).toBe(0);
      expect(JSON.parse(healed.stdout)).toMatchObject({
        checked: 3,
        damaged: 0,
        counts: { missing: 0, corrupt: 0, orphan: 0, temp: 0 },
      });

      const clone = path.join(home, 'clone');
      await git(home, env, '-c', `lfs.url=${url}`, 'clone', '-q', bare, clone);
      await git(clone, env, 'config', 'lfs.url', url);
      await git(clone, env, 'lfs', 'pull');
      expect((await git(clone, env, 'lfs', 'fsck')).stdout).toMatch(/Git LFS fsck OK/);
    });
  });
}

scrubbing('local disk', {
  storage: () => Promise.resolve(undefined),
  async overwrite(stack, key, data) {
    await writeFile(path.join((stack.api.storage as LocalStorage).root, key), data);
  },
  async leaveTempFile(stack) {
    const file = path.join((stack.api.storage as LocalStorage).root, 'tmp', 'deadbeef.part');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, 'half an upload');
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    await utimes(file, twoDaysAgo, twoDaysAgo);
    return true;
  },
  stop: () => Promise.resolve(),
});

let s3: S3TestServer | undefined;
scrubbing('S3, s3rver', {
  async storage() {
    s3 = await startS3Server();
    return new S3Storage({
      ...s3ConnectionOf(s3),
      bucket: s3.bucket,
      prefix: 'objects',
    });
  },
  async overwrite(_stack, key, data) {
    const server = s3 as S3TestServer;
    const client = new S3Client({
      ...s3ConnectionOf(server),
    });
    try {
      await client.send(new PutObjectCommand({ Bucket: server.bucket, Key: `objects/${key}`, Body: data }));
    } finally {
      client.destroy();
    }
  },
  // A multipart upload cannot be backdated past the 49 hours that make it a leftover.
  leaveTempFile: () => Promise.resolve(false),
  async stop() {
    await s3?.stop();
  },
});
