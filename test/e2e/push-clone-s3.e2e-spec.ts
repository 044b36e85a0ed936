import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DeleteObjectCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';
import { S3Storage } from '@lfs-depot/storage/s3';
import type { S3TestServer } from '@lfs-depot/testing';
import { s3ConnectionOf, startS3Server } from '@lfs-depot/testing';

import { bucketObjectKeys } from '../helpers/s3-test-storage.js';
import { adminClient } from '../helpers/api-harness.js';
import { createGitEnvironment, git, lfsUrl } from '../helpers/git.js';
import type { Stack } from '../helpers/stack.js';
import { startStack } from '../helpers/stack.js';

const MiB = 1024 * 1024;

/** `size` random bytes as a stream, generated a chunk at a time so that big bodies never sit in memory. */
function randomStream(size: number): Readable {
  let left = size;
  return new Readable({
    read() {
      const chunk = Math.min(left, 256 * 1024);
      left -= chunk;
      this.push(chunk > 0 ? randomBytes(chunk) : null);
    },
  });
}

/** Writes `size` random bytes to `file` and returns their oid. */
async function writeRandomFile(file: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  const source = randomStream(size);
  source.on('data', (chunk: Buffer) => hash.update(chunk));
  await pipeline(source, createWriteStream(file));
  return hash.digest('hex');
}

async function fileOid(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

describe('git-lfs push, clone, pull and fetch (S3 storage)', () => {
  let s3: S3TestServer;
  let storage: S3Storage;
  let bucket: S3Client;
  let stack: Stack;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let admin: ReturnType<typeof adminClient>;
  const alice = { username: 'alice', password: 'alice-password-123' };
  const sizes: Record<string, number> = { 'big.bin': 20 * MiB + 3, 'small.bin': 1234, 'assets/tiny.bin': 77 };
  const oids: Record<string, string> = {};
  let source: string;

  const withCredentials = (project: string): string[] => [
    '-c',
    `lfs.url=${lfsUrl(stack.url, project, alice)}`,
  ];

  /** Pushes the source repository to a new bare repository, its LFS objects to `project`. */
  async function pushRepository(project: string, name: string): Promise<string> {
    const bare = path.join(home, `${name}.git`);
    await git(home, env, 'init', '-q', '--bare', bare);
    await git(source, env, ...withCredentials(project), 'push', '-q', bare, 'main');
    return bare;
  }

  const bucketKeys = (): Promise<string[]> => bucketObjectKeys(bucket, s3.bucket);

  beforeAll(async () => {
    s3 = await startS3Server();
    const connection = s3ConnectionOf(s3);
    storage = new S3Storage({ ...connection, bucket: s3.bucket, prefix: 'objects' });
    bucket = new S3Client(connection);
    stack = await startStack({}, { storage });
    ({ home, env } = await createGitEnvironment());
    admin = adminClient(stack.url);
    await admin.createUser(alice.username, alice.password);
    for (const project of ['team/s3-repo', 'other/s3-copy']) {
      await admin.createProject(project);
      await admin.setMember(project, alice.username, 'write');
    }

    source = path.join(home, 'source');
    await mkdir(path.join(source, 'assets'), { recursive: true });
    await git(source, env, 'init', '-q');
    await git(source, env, 'lfs', 'track', '*.bin');
    await writeFile(path.join(source, '.lfsconfig'), `[lfs]\n\turl = ${lfsUrl(stack.url, 'team/s3-repo')}\n`);
    for (const [file, size] of Object.entries(sizes)) {
      oids[file] = await writeRandomFile(path.join(source, file), size);
    }
    await git(source, env, 'add', '.');
    await git(source, env, 'commit', '-q', '-m', 'add files');
  });

  afterAll(async () => {
    await stack?.close();
    storage?.destroy();
    bucket?.destroy();
    await s3?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('pushes every file into the bucket and clones them back byte for byte', async () => {
    const bare = await pushRepository('team/s3-repo', 's3-repo');
    expect(await bucketKeys()).toEqual(
      Object.values(oids)
        .map((oid) => `objects/${oid.slice(0, 2)}/${oid.slice(2, 4)}/${oid}`)
        .sort(),
    );

    const clone = path.join(home, 's3-clone');
    await git(home, env, ...withCredentials('team/s3-repo'), 'clone', '-q', bare, clone);
    for (const [file, oid] of Object.entries(oids)) {
      expect(await fileOid(path.join(clone, file))).toBe(oid);
    }
    const fsck = await git(clone, env, ...withCredentials('team/s3-repo'), 'lfs', 'fsck');
    expect(fsck.stdout).toContain('Git LFS fsck OK');
    expect((await admin.statistics('team/s3-repo')).body).toEqual({
      lfs_objects_count: 3,
      lfs_objects_size: Object.values(sizes).reduce((sum, size) => sum + size, 0),
      quota_bytes: null,
    });
  });

  it('fetches and pulls into a clone made without smudging', async () => {
    const clone = path.join(home, 's3-skip-smudge');
    await git(
      home,
      { ...env, GIT_LFS_SKIP_SMUDGE: '1' },
      'clone',
      '-q',
      path.join(home, 's3-repo.git'),
      clone,
    );
    await git(clone, env, ...withCredentials('team/s3-repo'), 'lfs', 'fetch', 'origin', 'main');
    await git(clone, env, ...withCredentials('team/s3-repo'), 'lfs', 'pull');
    for (const [file, oid] of Object.entries(oids)) {
      expect(await fileOid(path.join(clone, file))).toBe(oid);
    }
  });

  it('stores a file pushed to a second project once and counts it in both', async () => {
    await pushRepository('other/s3-copy', 's3-copy');
    const rows = await stack.api.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM lfs_objects`,
    );
    expect(rows[0]?.n).toBe(3);
    expect(await bucketKeys()).toHaveLength(3);
    const links = await stack.api.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM lfs_objects_projects`,
    );
    expect(links[0]?.n).toBe(6);
    expect((await admin.statistics('other/s3-copy')).body).toEqual(
      (await admin.statistics('team/s3-repo')).body,
    );
  });

  it('serves byte ranges from the bucket, and 404 JSON once the bytes are gone', async () => {
    const authorization = `Basic ${Buffer.from(`${alice.username}:${alice.password}`).toString('base64')}`;
    const href = (oid: string): string => `${stack.url}/team/s3-repo.git/info/lfs/objects/${oid}`;
    const small = await readFile(path.join(source, 'small.bin'));
    const ranged = await fetch(href(oids['small.bin'] ?? ''), {
      headers: { authorization, range: 'bytes=10-19' },
    });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe('bytes 10-19/1234');
    expect(Buffer.from(await ranged.arrayBuffer()).equals(small.subarray(10, 20))).toBe(true);

    const tiny = oids['assets/tiny.bin'] ?? '';
    await bucket.send(
      new DeleteObjectCommand({
        Bucket: s3.bucket,
        Key: `objects/${tiny.slice(0, 2)}/${tiny.slice(2, 4)}/${tiny}`,
      }),
    );
    const gone = await fetch(href(tiny), { headers: { authorization } });
    expect(gone.status).toBe(404);
    expect(gone.headers.get('content-type')).toMatch(/^application\/vnd\.git-lfs\+json/);
    expect(await gone.json()).toMatchObject({ code: 'OBJECT_NOT_FOUND' });
  });

  it('leaves no object and no pending multipart upload in the bucket after a wrong-hash upload', async () => {
    // Bigger than one 8 MiB part, so the refused upload is streamed to a temporary key that must be discarded.
    const size = 9 * MiB;
    const claimed = createHash('sha256').update('not these bytes').digest('hex');
    const authorization = `Basic ${Buffer.from(`${alice.username}:${alice.password}`).toString('base64')}`;
    const listed = await fetch(`${stack.url}/team/s3-repo.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: { accept: LFS_MEDIA_TYPE, 'content-type': LFS_MEDIA_TYPE, authorization },
      body: JSON.stringify({ operation: 'upload', objects: [{ oid: claimed, size }] }),
    });
    const { objects } = (await listed.json()) as {
      objects: { actions: { upload: { href: string; header: Record<string, string> } } }[];
    };
    const action = objects[0]?.actions.upload;
    expect(action?.href).toBeDefined();
    const keysBefore = await bucketKeys();

    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        action?.href ?? '',
        {
          method: 'PUT',
          agent: false,
          headers: { ...action?.header, 'content-type': 'application/octet-stream', 'content-length': size },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.on('error', reject);
      randomStream(size).pipe(req);
    });
    expect(answer.status).toBe(422);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'OBJECT_MISMATCH' });

    expect(await bucketKeys()).toEqual(keysBefore);
    expect(keysBefore.some((key) => key.endsWith(claimed))).toBe(false);
    const pending = await bucket.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket }));
    expect(pending.Uploads ?? []).toEqual([]);
    const rows = await stack.api.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM lfs_objects WHERE oid = $1`,
      [claimed],
    );
    expect(rows[0]?.n).toBe(0);
  });
});
