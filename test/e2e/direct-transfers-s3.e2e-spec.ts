import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';
import { objectKey } from '@lfs-depot/storage';
import { S3Storage } from '@lfs-depot/storage/s3';
import { S3DirectTransfers } from '@lfs-depot/storage/s3-direct';
import type { S3TestServer } from '@lfs-depot/testing';
import { eventually, s3ConnectionOf, startS3Server } from '@lfs-depot/testing';

import { StagedUploadSweeper } from '../../apps/api/src/transfers/staged-upload-sweeper.js';
import { bucketObjectKeys } from '../helpers/s3-test-storage.js';
import { adminClient } from '../helpers/api-harness.js';
import { createGitEnvironment, git, lfsUrl } from '../helpers/git.js';
import type { Stack } from '../helpers/stack.js';
import { startStack } from '../helpers/stack.js';
import type { BatchObject, TestObject } from '../helpers/transfer-stack.js';
import { alice, basic, json, request, testObject } from '../helpers/transfer-stack.js';

const PREFIX = 'objects';
const aliceAuth = basic(alice.username, alice.password);

/** The real git-lfs client and raw requests against both apps with DIRECT_TRANSFERS, on the S3 test server. */
describe('direct transfers on S3', () => {
  let s3: S3TestServer;
  let bucket: S3Client;
  let storage: S3Storage;
  let direct: S3DirectTransfers;
  let home: string;
  let env: NodeJS.ProcessEnv;

  const bucketKeys = (): Promise<string[]> => bucketObjectKeys(bucket, s3.bucket);

  const canonical = (oid: string): string => `${PREFIX}/${objectKey(oid)}`;

  async function bucketBytes(key: string): Promise<Buffer> {
    const answer = await bucket.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    return Buffer.from(await answer.Body!.transformToByteArray());
  }

  /** The storage id the first stack gave the bucket's prefix, which each later one adopts. */
  let storageId: string | undefined;

  /**
   * A stack whose API hands out presigned URLs on the test bucket. Each has a fresh database on the same prefix, one
   * after the other: a later one adopts the storage (STORAGE_ID), as a restored deployment would.
   */
  async function directStack(mode: 'download' | 'all', extra: Record<string, string> = {}): Promise<Stack> {
    const stack = await startStack(
      {
        STORAGE: `s3://${s3.bucket}/${PREFIX}?region=${s3.region}&endpoint=${s3.endpoint}&forcePathStyle=true`,
        DIRECT_TRANSFERS: mode,
        ...(storageId !== undefined && { STORAGE_ID: storageId }),
        ...extra,
      },
      { storage, direct },
    );
    storageId ??= stack.api.storageId;
    return stack;
  }

  async function batch(
    stack: Stack,
    project: string,
    operation: 'upload' | 'download',
    objects: { oid: string; size: number }[],
    authorization = aliceAuth,
  ): Promise<BatchObject[]> {
    const answer = await request(`${stack.url}/${project}.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: { accept: LFS_MEDIA_TYPE, 'content-type': LFS_MEDIA_TYPE, authorization },
      body: JSON.stringify({ operation, objects }),
    });
    expect(answer.status).toBe(200);
    return json(answer).objects as BatchObject[];
  }

  /** PUTs `data` to an upload action as git-lfs does (its headers, the exact Content-Length). */
  function put(action: { href: string; header?: Record<string, string> }, data: Buffer) {
    return request(action.href, {
      method: 'PUT',
      headers: {
        ...action.header,
        'content-type': 'application/octet-stream',
        'content-length': data.length,
      },
      body: data,
    });
  }

  function verify(action: { href: string; header?: Record<string, string> }, object: TestObject) {
    return request(action.href, {
      method: 'POST',
      headers: { ...action.header, accept: LFS_MEDIA_TYPE, 'content-type': LFS_MEDIA_TYPE },
      body: JSON.stringify({ oid: object.oid, size: object.size }),
    });
  }

  async function rowCount(stack: Stack, oid: string): Promise<number> {
    const rows = await stack.api.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM lfs_objects WHERE oid = $1`,
      [oid],
    );
    return rows[0]?.n ?? -1;
  }

  async function setUp(stack: Stack, projects: { path: string; quota?: number }[]): Promise<void> {
    const admin = adminClient(stack.url);
    await admin.createUser(alice.username, alice.password);
    for (const project of projects) {
      await admin.createProject(project.path, 'private', project.quota ?? null);
      await admin.setMember(project.path, alice.username, 'write');
    }
  }

  async function statistics(stack: Stack, project: string): Promise<Record<string, unknown> | undefined> {
    return (await adminClient(stack.url).statistics(project)).body;
  }

  /** A repository with the given files tracked by LFS, committed, its LFS endpoint `project` on `stack`. */
  async function repository(
    name: string,
    stack: Stack,
    project: string,
    files: Record<string, Buffer>,
  ): Promise<string> {
    const source = path.join(home, name);
    await mkdir(source, { recursive: true });
    await git(source, env, 'init', '-q');
    await git(source, env, 'lfs', 'track', '*.bin');
    await writeFile(path.join(source, '.lfsconfig'), `[lfs]\n\turl = ${lfsUrl(stack.url, project)}\n`);
    for (const [file, data] of Object.entries(files)) {
      await writeFile(path.join(source, file), data);
    }
    await git(source, env, 'add', '.');
    await git(source, env, 'commit', '-q', '-m', 'add files');
    return source;
  }

  const credentials = (stack: Stack, project: string): string[] => [
    '-c',
    `lfs.url=${lfsUrl(stack.url, project, alice)}`,
  ];

  async function pushAndClone(
    stack: Stack,
    project: string,
    name: string,
    files: Record<string, Buffer>,
  ): Promise<void> {
    const source = await repository(name, stack, project, files);
    const bare = path.join(home, `${name}.git`);
    await git(home, env, 'init', '-q', '--bare', bare);
    await git(source, env, ...credentials(stack, project), 'push', '-q', bare, 'main');
    const clone = path.join(home, `${name}-clone`);
    await git(home, env, ...credentials(stack, project), 'clone', '-q', bare, clone);
    for (const [file, data] of Object.entries(files)) {
      expect((await readFile(path.join(clone, file))).equals(data)).toBe(true);
    }
    const fsck = await git(clone, env, ...credentials(stack, project), 'lfs', 'fsck');
    expect(fsck.stdout).toContain('Git LFS fsck OK');
  }

  beforeAll(async () => {
    s3 = await startS3Server();
    const connection = s3ConnectionOf(s3);
    storage = new S3Storage({ ...connection, bucket: s3.bucket, prefix: PREFIX });
    direct = new S3DirectTransfers({
      ...connection,
      bucket: s3.bucket,
      prefix: PREFIX,
      trustChecksums: false,
    });
    bucket = new S3Client(connection);
    ({ home, env } = await createGitEnvironment());
  });

  afterAll(async () => {
    storage?.destroy();
    direct?.destroy();
    bucket?.destroy();
    await s3?.stop();
    await rm(home, { recursive: true, force: true });
  });

  describe('DIRECT_TRANSFERS=download', () => {
    let stack: Stack;
    const files = { 'a.bin': testObject(3 * 1024 * 1024 + 5).data, 'b.bin': testObject(1000).data };

    beforeAll(async () => {
      stack = await directStack('download');
      await setUp(stack, [{ path: 'dl/repo' }, { path: 'dl/other' }]);
    });

    afterAll(async () => {
      await stack?.close();
    });

    it('pushes through the proxy and clones straight from the bucket, byte for byte', async () => {
      await pushAndClone(stack, 'dl/repo', 'dl-repo', files);
      expect(await statistics(stack, 'dl/repo')).toEqual({
        lfs_objects_count: 2,
        lfs_objects_size: 3 * 1024 * 1024 + 5 + 1000,
        quota_bytes: null,
      });
    });

    it('hands out presigned GETs without an Authorization header, that honour Range', async () => {
      const data = files['b.bin'];
      const oid = createHash('sha256').update(data).digest('hex');
      const [object] = await batch(stack, 'dl/repo', 'download', [{ oid, size: data.length }]);
      const action = object?.actions?.download;
      expect(action?.href.startsWith(`${s3.endpoint}/${s3.bucket}/${canonical(oid)}?`)).toBe(true);
      expect(action?.header).toBeUndefined();
      const ranged = await request(action?.href ?? '', { method: 'GET', headers: { range: 'bytes=10-19' } });
      expect(ranged.status).toBe(206);
      expect(ranged.body).toBe(data.subarray(10, 20).toString('utf8'));
    });

    it('gives a project no URL for an object it does not link, stored or not', async () => {
      const data = files['a.bin'];
      const oid = createHash('sha256').update(data).digest('hex');
      const [object] = await batch(stack, 'dl/other', 'download', [{ oid, size: data.length }]);
      expect(object).toEqual({
        oid,
        size: data.length,
        error: { code: 404, message: 'Object does not exist' },
      });
    });

    it('hands out URLs that S3 refuses once their expires_in has passed', async () => {
      const expiresAt = new Date(Date.now() + 3000).toISOString();
      const token = (await adminClient(stack.url).createToken(alice.username, 'short', expiresAt)).body
        ?.token as string;
      const data = files['b.bin'];
      const oid = createHash('sha256').update(data).digest('hex');
      const [object] = await batch(
        stack,
        'dl/repo',
        'download',
        [{ oid, size: data.length }],
        basic(alice.username, token),
      );
      const action = object?.actions?.download;
      expect((action as { expires_in?: number } | undefined)?.expires_in).toBeLessThanOrEqual(3);
      expect((await request(action?.href ?? '', { method: 'GET' })).status).toBe(200);
      let answer = await request(action?.href ?? '', { method: 'GET' });
      for (let attempt = 0; answer.status === 200 && attempt < 50; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        answer = await request(action?.href ?? '', { method: 'GET' });
      }
      expect(answer.status).toBe(403);
      expect(answer.body).toContain('Request has expired');
    });
  });
  describe('DIRECT_TRANSFERS=all', () => {
    let stack: Stack;
    const uploadMax = 2 * 1024 * 1024;

    beforeAll(async () => {
      stack = await directStack('all', { DIRECT_UPLOAD_MAX: String(uploadMax) });
      await setUp(stack, [
        { path: 'up/repo' },
        { path: 'up/other' },
        { path: 'up/quota', quota: 3000 },
        { path: 'up/wrong' },
        { path: 'up/heal', quota: 1200 },
      ]);
    });

    afterAll(async () => {
      await stack?.close();
    });

    const stagingKeys = async (): Promise<string[]> =>
      (await bucketKeys()).filter((key) => key.startsWith(`${PREFIX}/staging/`));

    it('pushes straight into the bucket, bigger objects through the proxy, and clones them back', async () => {
      const files = {
        'direct.bin': testObject(uploadMax).data,
        'small.bin': testObject(777).data,
        'proxied.bin': testObject(uploadMax + 1).data,
      };
      const oids = Object.values(files).map((data) => createHash('sha256').update(data).digest('hex'));
      const planned = await batch(
        stack,
        'up/repo',
        'upload',
        Object.values(files).map((data, i) => ({ oid: oids[i] ?? '', size: data.length })),
      );
      expect(planned.map((object) => new URL(object.actions?.upload?.href ?? '').origin)).toEqual([
        s3.endpoint,
        s3.endpoint,
        stack.url,
      ]);
      expect(planned[0]?.actions?.upload?.href).toContain(`/${s3.bucket}/${PREFIX}/staging/${oids[0]}/`);
      expect(planned[0]?.actions?.upload?.header).toEqual({
        'x-amz-checksum-sha256': Buffer.from(oids[0] ?? '', 'hex').toString('base64'),
      });

      await pushAndClone(stack, 'up/repo', 'up-repo', files);
      expect(await bucketKeys()).toEqual(expect.arrayContaining(oids.map(canonical)));
      expect(await stagingKeys()).toEqual([]);
      for (const [i, data] of Object.values(files).entries()) {
        expect((await bucketBytes(canonical(oids[i] ?? ''))).equals(data)).toBe(true);
      }
      expect(await statistics(stack, 'up/repo')).toEqual({
        lfs_objects_count: 3,
        lfs_objects_size: 2 * uploadMax + 1 + 777,
        quota_bytes: null,
      });
    });

    it('refuses wrong bytes at verify and leaves nothing: no row, no link, no object, no staged upload', async () => {
      const object = testObject(1500);
      const [planned] = await batch(stack, 'up/wrong', 'upload', [object]);
      const { upload, verify: verifyAction } = planned?.actions ?? {};
      expect((await put(upload!, testObject(1500).data)).status).toBe(200);
      const answer = await verify(verifyAction!, object);
      expect(answer.status).toBe(422);
      expect(json(answer)).toMatchObject({ code: 'OBJECT_MISMATCH' });
      expect(await rowCount(stack, object.oid)).toBe(0);
      expect(await stagingKeys()).toEqual([]);
      expect(await bucketKeys()).not.toContain(canonical(object.oid));
      expect(await statistics(stack, 'up/wrong')).toEqual({
        lfs_objects_count: 0,
        lfs_objects_size: 0,
        quota_bytes: null,
      });
    });

    it('answers a verify whose bucket fails 503 STORAGE_UNAVAILABLE with Retry-After, linking nothing', async () => {
      const object = testObject(1600);
      const [planned] = await batch(stack, 'up/wrong', 'upload', [object]);
      const { upload, verify: verifyAction } = planned?.actions ?? {};
      expect((await put(upload!, object.data)).status).toBe(200);
      // What S3 timing out looks like to the SDK: an error that is no verdict on the bytes.
      const timeout = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      const commit = jest.spyOn(direct, 'commitStaged').mockRejectedValueOnce(timeout);
      try {
        const answer = await verify(verifyAction!, object);
        expect(answer.status).toBe(503);
        expect(answer.headers['retry-after']).toBe('5');
        expect(json(answer)).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
        expect(json(answer).message).toContain('ECONNRESET');
      } finally {
        commit.mockRestore();
      }
      expect(await rowCount(stack, object.oid)).toBe(0);
      expect(await stagingKeys()).toEqual([]);
    });

    it("cannot replace a stored object through another oid's staging URL, nor link it without its bytes", async () => {
      const stored = testObject(2000);
      const other = testObject(2000);
      const [first] = await batch(stack, 'up/repo', 'upload', [stored]);
      expect((await put(first.actions!.upload!, stored.data)).status).toBe(200);
      expect((await verify(first.actions!.verify!, stored)).status).toBe(200);

      // up/other knows the oid, not the bytes: it gets a staging URL like any upload, never a link.
      const [again, second] = await batch(stack, 'up/other', 'upload', [stored, other]);
      expect(again?.actions?.upload?.href).toContain(`/${PREFIX}/staging/${stored.oid}/`);
      expect((await put(again.actions!.upload!, other.data)).status).toBe(200);
      expect((await verify(again.actions!.verify!, stored)).status).toBe(422);
      // The other oid's verify does not find the bytes sent to the wrong URL either.
      expect((await verify(second.actions!.verify!, other)).status).toBe(404);
      expect((await bucketBytes(canonical(stored.oid))).equals(stored.data)).toBe(true);
      const [download] = await batch(stack, 'up/other', 'download', [stored]);
      expect(download?.error?.code).toBe(404);
      expect(await statistics(stack, 'up/other')).toEqual({
        lfs_objects_count: 0,
        lfs_objects_size: 0,
        quota_bytes: null,
      });

      // With the bytes, it is linked (deduplicated: still one row, the same stored bytes).
      expect((await put(again.actions!.upload!, stored.data)).status).toBe(200);
      expect((await verify(again.actions!.verify!, stored)).status).toBe(200);
      expect(await rowCount(stack, stored.oid)).toBe(1);
      expect(await statistics(stack, 'up/other')).toEqual({
        lfs_objects_count: 1,
        lfs_objects_size: 2000,
        quota_bytes: null,
      });
      expect(await stagingKeys()).toEqual([]);
    });

    it("refuses a verify with another project's ticket, or of another object", async () => {
      const object = testObject(300);
      const [planned] = await batch(stack, 'up/repo', 'upload', [object]);
      expect((await put(planned.actions!.upload!, object.data)).status).toBe(200);
      const href = planned.actions!.verify!.href;
      // Alice may write to up/other too (the action's transfer token is for up/repo alone).
      const elsewhere = {
        href: href.replace('/up/repo.git/', '/up/other.git/'),
        header: { authorization: aliceAuth },
      };
      const refused = await verify(elsewhere, object);
      expect([refused.status, json(refused).code]).toEqual([403, 'FORBIDDEN']);
      const another = testObject(300);
      expect((await verify(planned.actions!.verify!, another)).status).toBe(403);
      expect(await rowCount(stack, object.oid)).toBe(0);
      // The ticket still verifies what it was issued for.
      expect((await verify(planned.actions!.verify!, object)).status).toBe(200);
      expect(await stagingKeys()).toEqual([]);
    });

    it('checks the quota at batch and again at verify, exactly', async () => {
      const first = testObject(1000);
      const second = testObject(1500);
      const third = testObject(1000);
      // Each fits on its own at batch time; together they do not.
      const [a] = await batch(stack, 'up/quota', 'upload', [first]);
      const [b] = await batch(stack, 'up/quota', 'upload', [second]);
      const [c] = await batch(stack, 'up/quota', 'upload', [third]);
      for (const [planned, object] of [
        [a, first],
        [b, second],
        [c, third],
      ] as const) {
        expect((await put(planned.actions!.upload!, object.data)).status).toBe(200);
      }
      expect((await verify(a.actions!.verify!, first)).status).toBe(200);
      expect((await verify(b.actions!.verify!, second)).status).toBe(200);
      const refused = await verify(c.actions!.verify!, third);
      expect(refused.status).toBe(507);
      expect(json(refused)).toMatchObject({ code: 'QUOTA_EXCEEDED' });
      expect(await statistics(stack, 'up/quota')).toEqual({
        lfs_objects_count: 2,
        lfs_objects_size: 2500,
        quota_bytes: 3000,
      });
      const answer = await request(`${stack.url}/up/quota.git/info/lfs/objects/batch`, {
        method: 'POST',
        headers: { accept: LFS_MEDIA_TYPE, 'content-type': LFS_MEDIA_TYPE, authorization: aliceAuth },
        body: JSON.stringify({ operation: 'upload', objects: [{ oid: third.oid, size: third.size }] }),
      });
      expect(answer.status).toBe(507);
      expect(await stagingKeys()).toEqual([]);
    });

    it('heals an object scrub marked damaged, at its quota, through the same link as a proxied upload', async () => {
      const object = testObject(1200);
      const [first] = await batch(stack, 'up/heal', 'upload', [object]);
      expect((await put(first.actions!.upload!, object.data)).status).toBe(200);
      expect((await verify(first.actions!.verify!, object)).status).toBe(200);
      const paid = { lfs_objects_count: 1, lfs_objects_size: 1200, quota_bytes: 1200 };
      expect(await statistics(stack, 'up/heal')).toEqual(paid);

      await storage.delete(objectKey(object.oid));
      const admin = adminClient(stack.url);
      const started = (await admin.ok('POST', '/scrub', { project: 'up/heal', repair: true })) as {
        id: string;
      };
      await eventually(
        async () =>
          ((await admin.ok('GET', `/jobs/${started.id}`)) as { state: string }).state === 'succeeded',
        30_000,
      );
      const damage = async (): Promise<unknown> =>
        (
          await stack.api.dataSource.query<{ damage: string | null }[]>(
            `SELECT damage FROM lfs_objects WHERE oid = $1`,
            [object.oid],
          )
        )[0]?.damage;
      expect(await damage()).toBe('missing');

      // At its quota, the project is still asked for the bytes it pays for; the verify writes them and clears the mark.
      const [again] = await batch(stack, 'up/heal', 'upload', [object]);
      expect(again?.actions?.upload?.href).toContain(`/${PREFIX}/staging/${object.oid}/`);
      expect((await put(again.actions!.upload!, object.data)).status).toBe(200);
      expect((await verify(again.actions!.verify!, object)).status).toBe(200);
      expect(await damage()).toBeNull();
      expect((await bucketBytes(canonical(object.oid))).equals(object.data)).toBe(true);
      expect(await statistics(stack, 'up/heal')).toEqual(paid);
      const [download] = await batch(stack, 'up/heal', 'download', [object]);
      expect(download?.actions?.download?.href.startsWith(`${s3.endpoint}/`)).toBe(true);
      expect(await batch(stack, 'up/heal', 'upload', [object])).toEqual([
        { oid: object.oid, size: 1200, authenticated: true },
      ]);
      expect(await stagingKeys()).toEqual([]);
    });

    it('sweeps staged uploads that were never verified once no ticket can verify them', async () => {
      const object = testObject(400);
      const [planned] = await batch(stack, 'up/repo', 'upload', [object]);
      expect((await put(planned.actions!.upload!, object.data)).status).toBe(200);
      expect(await stagingKeys()).toHaveLength(1);
      const sweeper = stack.api.app.get(StagedUploadSweeper);
      expect(await sweeper.sweep(Date.now())).toBe(0);
      expect(await sweeper.sweep(Date.now() + sweeper.maxAgeMs + 60_000)).toBe(1);
      expect(await stagingKeys()).toEqual([]);
      expect(await rowCount(stack, object.oid)).toBe(0);
    });
  });
});
