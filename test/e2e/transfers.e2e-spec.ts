import { createHash, randomBytes } from 'node:crypto';
import { readdir, rm, truncate } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signInternalRequest } from '@lfs-depot/auth';
import {
  DOCUMENTATION_URL,
  INTERNAL_PATHS,
  INTERNAL_SIGNATURE_HEADER,
  LFS_MEDIA_TYPE,
} from '@lfs-depot/contracts';
import type { LocalStorage } from '@lfs-depot/storage';
import { objectKey } from '@lfs-depot/storage';

import { ApiSecrets } from '../../apps/api/src/auth/api-secrets.js';
import { ProxyServer } from '../../apps/proxy/src/proxy.server.js';
import { TransferTokenService } from '../../apps/api/src/auth/transfer-token.service.js';
import { adminClient, TEST_ADMIN_TOKEN, TEST_INTERNAL_SECRET } from '../helpers/api-harness.js';
import type { Stack } from '../helpers/stack.js';
import { startStack } from '../helpers/stack.js';

/** Raw HTTP against the whole stack (proxy in front of the API, local disk): the transfer path of issue 4. */

interface TestObject {
  data: Buffer;
  oid: string;
  size: number;
}

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface BatchAction {
  href: string;
  header?: Record<string, string>;
}

interface BatchObject {
  oid: string;
  size: number;
  actions?: { upload?: BatchAction; verify?: BatchAction; download?: BatchAction };
  error?: { code: number; message: string };
}

function testObject(size: number): TestObject {
  const data = randomBytes(size);
  return { data, oid: createHash('sha256').update(data).digest('hex'), size };
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** One request on its own connection; `body` is written in the given pieces, `pauseMs` apart. */
function request(
  url: string,
  options: {
    method: string;
    headers?: Record<string, string | number>;
    body?: Buffer | string;
    pieces?: Buffer[];
    pauseMs?: number;
  },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method, headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.pieces) {
      const pieces = [...options.pieces];
      const writeNext = (): void => {
        const piece = pieces.shift();
        if (piece === undefined) {
          req.end();
          return;
        }
        req.write(piece);
        setTimeout(writeNext, options.pauseMs ?? 0);
      };
      writeNext();
    } else {
      req.end(options.body);
    }
  });
}

/** Sends headers and only part of a body on a raw socket, then closes it: a client that dies mid-upload. */
function truncatedUpload(
  url: string,
  headers: Record<string, string | number>,
  partial: Buffer,
): Promise<string> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(target.port), target.hostname);
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(received).toString('utf8')));
    socket.on('connect', () => {
      const head = [
        `PUT ${target.pathname} HTTP/1.1`,
        `Host: ${target.host}`,
        ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
        '',
        '',
      ].join('\r\n');
      socket.write(head);
      socket.write(partial, () => setTimeout(() => socket.end(), 200));
    });
  });
}

function json(answer: RawAnswer): Record<string, unknown> {
  return JSON.parse(answer.body) as Record<string, unknown>;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error('condition not met in time');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('object transfers through the proxy (local disk storage)', () => {
  let stack: Stack;
  let admin: ReturnType<typeof adminClient>;
  let storageRoot: string;
  const alice = { username: 'alice', password: 'alice-password-123' };
  const bob = { username: 'bob', password: 'bob-password-1234' };
  let aliceId: string;
  const projectIds = new Map<string, string>();

  async function createProject(
    project: string,
    visibility: 'private' | 'public' = 'private',
    quota?: number,
  ): Promise<void> {
    const created = await admin.createProject(project, visibility, quota);
    expect(created.status).toBe(201);
    projectIds.set(project, created.body?.id as string);
    expect((await admin.setMember(project, alice.username, 'write')).status).toBe(200);
  }

  function lfs(project: string, suffix: string): string {
    return `${stack.url}/${project}.git/info/lfs/${suffix}`;
  }

  async function batch(
    project: string,
    operation: 'upload' | 'download',
    objects: { oid: string; size: number }[],
    authorization?: string,
  ): Promise<RawAnswer> {
    return request(lfs(project, 'objects/batch'), {
      method: 'POST',
      headers: {
        accept: LFS_MEDIA_TYPE,
        'content-type': LFS_MEDIA_TYPE,
        ...(authorization ? { authorization } : {}),
      },
      body: JSON.stringify({ operation, transfers: ['basic'], objects }),
    });
  }

  /** The upload (and verify) action of one object, as alice. */
  async function uploadActions(
    project: string,
    object: TestObject,
  ): Promise<{ upload: BatchAction; verify: BatchAction }> {
    const answer = await batch(project, 'upload', [object], basic(alice.username, alice.password));
    expect(answer.status).toBe(200);
    const [result] = json(answer).objects as BatchObject[];
    const { upload, verify } = result?.actions ?? {};
    if (!upload || !verify) {
      throw new Error(`no upload action for ${object.oid}: ${answer.body}`);
    }
    return { upload, verify };
  }

  function put(
    action: BatchAction,
    body: Buffer,
    headers: Record<string, string | number> = {},
  ): Promise<RawAnswer> {
    return request(action.href, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', ...action.header, ...headers },
      body,
    });
  }

  async function upload(project: string, object: TestObject): Promise<void> {
    const { upload: action } = await uploadActions(project, object);
    expect((await put(action, object.data)).status).toBe(200);
  }

  /** Every file under the storage root except the temporary folder, which must be empty. */
  async function storedFiles(): Promise<string[]> {
    const entries = await readdir(storageRoot, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(storageRoot, path.join(entry.parentPath, entry.name)))
      .sort();
  }

  async function tempFiles(): Promise<string[]> {
    return (await storedFiles()).filter((file) => file.startsWith(`tmp${path.sep}`));
  }

  /** Everything the transfer path may change in the database, for before/after comparisons. */
  async function tables(): Promise<unknown> {
    const query = (sql: string) => stack.api.dataSource.query<unknown[]>(sql);
    return {
      objects: await query(`SELECT oid, size, storage_key FROM lfs_objects ORDER BY oid`),
      links: await query(
        `SELECT o.oid, l.project_id FROM lfs_objects_projects l JOIN lfs_objects o ON o.id = l.lfs_object_id
          ORDER BY o.oid, l.project_id`,
      ),
      statistics: await query(
        `SELECT project_id, lfs_objects_count, lfs_objects_size FROM project_statistics ORDER BY project_id`,
      ),
    };
  }

  async function objectRows(oid: string): Promise<number> {
    const rows = await stack.api.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM lfs_objects WHERE oid = $1`,
      [oid],
    );
    return rows[0]?.n ?? -1;
  }

  beforeAll(async () => {
    stack = await startStack();
    storageRoot = (stack.api.storage as LocalStorage).root;
    admin = adminClient(stack.url);
    aliceId = (await admin.createUser(alice.username, alice.password)).body?.id as string;
    await admin.createUser(bob.username, bob.password);
    await createProject('team/main');
    await createProject('team/other');
    await createProject('team/public', 'public');
    await createProject('race/one');
    await createProject('race/two');
    await createProject('race/three');
    await createProject('race/quota', 'private', 1000);
    await createProject('team/errors');
  });

  afterAll(async () => {
    await stack.close();
  });

  describe('upload', () => {
    it('uploads through the batch flow, verifies, counts and stores the object', async () => {
      const object = testObject(4321);
      const { upload: action, verify } = await uploadActions('team/main', object);
      expect(action.href).toBe(lfs('team/main', `objects/${object.oid}/${object.size}`));
      expect(action.header?.Authorization).toMatch(/^Basic /);

      const answer = await put(action, object.data);
      expect(answer.status).toBe(200);

      const verified = await request(verify.href, {
        method: 'POST',
        headers: { accept: LFS_MEDIA_TYPE, 'content-type': LFS_MEDIA_TYPE, ...verify.header },
        body: JSON.stringify({ oid: object.oid, size: object.size }),
      });
      expect(verified.status).toBe(200);
      expect(verified.headers['content-type']).toMatch(/^application\/vnd\.git-lfs\+json/);

      expect((await admin.statistics('team/main')).body).toEqual({
        lfs_objects_count: 1,
        lfs_objects_size: 4321,
        quota_bytes: null,
      });
      expect(await stack.api.storage.stat(objectKey(object.oid))).toEqual({ size: 4321 });
      expect(await tempFiles()).toEqual([]);

      // Uploaded once, the object needs no second upload: the batch answers without actions.
      const again = await batch('team/main', 'upload', [object], basic(alice.username, alice.password));
      expect((json(again).objects as BatchObject[])[0]?.actions).toBeUndefined();
    });

    it('refuses a body whose hash does not match with 422 JSON, storing and linking nothing', async () => {
      const object = testObject(1000);
      const { upload: action } = await uploadActions('team/errors', object);
      const filesBefore = await storedFiles();
      const tablesBefore = await tables();

      const answer = await put(action, randomBytes(1000));
      expect(answer.status).toBe(422);
      expect(answer.headers['content-type']).toMatch(/^application\/vnd\.git-lfs\+json/);
      expect(json(answer)).toMatchObject({ code: 'OBJECT_MISMATCH', request_id: expect.any(String) });

      expect(await storedFiles()).toEqual(filesBefore);
      expect(await tempFiles()).toEqual([]);
      expect(await tables()).toEqual(tablesBefore);
      expect(await stack.api.storage.stat(objectKey(object.oid))).toBeUndefined();
    });

    it('stores and links nothing when the client sends fewer bytes than Content-Length and hangs up', async () => {
      const object = testObject(64 * 1024);
      const { upload: action } = await uploadActions('team/errors', object);
      const filesBefore = await storedFiles();
      const tablesBefore = await tables();

      const answer = await truncatedUpload(
        action.href,
        { ...action.header, 'Content-Type': 'application/octet-stream', 'Content-Length': object.size },
        object.data.subarray(0, 10_000),
      );
      expect(answer).not.toMatch(/^HTTP\/1\.1 200/);

      // The proxy notices the disconnect asynchronously; give it a moment to clean up.
      await waitFor(async () => (await tempFiles()).length === 0);
      expect(await storedFiles()).toEqual(filesBefore);
      expect(await tables()).toEqual(tablesBefore);
    });

    it('refuses a Content-Length different from the size in the URL with 422 before reading the body', async () => {
      const object = testObject(500);
      const { upload: action } = await uploadActions('team/errors', object);
      const tablesBefore = await tables();
      const filesBefore = await storedFiles();

      const longer = Buffer.concat([object.data, randomBytes(10)]);
      const answer = await put(action, longer);
      expect(answer.status).toBe(422);
      expect(json(answer)).toMatchObject({ code: 'OBJECT_MISMATCH' });
      expect(await storedFiles()).toEqual(filesBefore);
      expect(await tables()).toEqual(tablesBefore);
    });

    it('refuses a chunked body that runs past the size in the URL with 422, storing nothing', async () => {
      const object = testObject(500);
      const { upload: action } = await uploadActions('team/errors', object);
      const tablesBefore = await tables();
      const filesBefore = await storedFiles();

      // No Content-Length: the body (chunked) is only found too long while it streams.
      const answer = await request(action.href, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', ...action.header },
        pieces: [object.data, randomBytes(100), randomBytes(100)],
        pauseMs: 20,
      });
      expect(answer.status).toBe(422);
      expect(json(answer)).toMatchObject({ code: 'OBJECT_MISMATCH' });
      await waitFor(async () => (await tempFiles()).length === 0);
      expect(await storedFiles()).toEqual(filesBefore);
      expect(await tables()).toEqual(tablesBefore);
    });

    it('makes a project holding only an oid prove possession of bytes stored for another one', async () => {
      const object = testObject(3000);
      await upload('team/main', object);
      const { upload: action, verify } = await uploadActions('team/errors', object);
      const tablesBefore = await tables();

      // The bytes are already stored, so the proxy only hashes the body (dedup) — but it still has to match.
      const wrong = await put(action, randomBytes(object.size));
      expect(wrong.status).toBe(422);
      expect(json(wrong)).toMatchObject({ code: 'OBJECT_MISMATCH' });
      const longer = await request(action.href, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', ...action.header },
        pieces: [object.data, randomBytes(1000)],
        pauseMs: 20,
      });
      expect(longer.status).toBe(422);
      await truncatedUpload(
        action.href,
        { ...action.header, 'Content-Type': 'application/octet-stream', 'Content-Length': object.size },
        object.data.subarray(0, 1000),
      );
      expect(await tables()).toEqual(tablesBefore);
      const notYet = await request(verify.href, {
        method: 'POST',
        headers: { accept: LFS_MEDIA_TYPE, 'content-type': LFS_MEDIA_TYPE, ...verify.header },
        body: JSON.stringify({ oid: object.oid, size: object.size }),
      });
      expect(notYet.status).toBe(404);

      expect((await put(action, object.data)).status).toBe(200);
      expect(await objectRows(object.oid)).toBe(1);
      expect((await stack.api.storage.stat(objectKey(object.oid)))?.size).toBe(object.size);
    });

    it('uploads an empty object', async () => {
      const empty = testObject(0);
      const { upload: action } = await uploadActions('team/public', empty);
      expect((await put(action, Buffer.alloc(0))).status).toBe(200);
      const download = await fetch(lfs('team/public', `objects/${empty.oid}`));
      expect(download.status).toBe(200);
      expect(download.headers.get('content-length')).toBe('0');
      expect((await download.arrayBuffer()).byteLength).toBe(0);
    });

    it('answers an Expect: 100-continue upload without credentials with 401 before the body is sent', async () => {
      const object = testObject(100_000);
      const answer = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
        let continued = false;
        const req = http.request(lfs('team/main', `objects/${object.oid}/${object.size}`), {
          method: 'PUT',
          agent: false,
          headers: { expect: '100-continue', 'content-length': object.size },
        });
        req.on('continue', () => {
          continued = true;
          req.end(object.data);
        });
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, continued }));
        });
        req.on('error', reject);
        req.flushHeaders();
      });
      expect(answer).toEqual({ status: 401, continued: false });
    });

    it('answers 401 with LFS-Authenticate to an upload into a private project without credentials', async () => {
      const object = testObject(100);
      const answer = await request(lfs('team/main', `objects/${object.oid}/${object.size}`), {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: object.data,
      });
      expect(answer.status).toBe(401);
      expect(answer.headers['lfs-authenticate']).toMatch(/^Basic realm=/);
      expect(answer.headers['content-type']).toMatch(/^application\/vnd\.git-lfs\+json/);
      expect(json(answer)).toMatchObject({ code: 'UNAUTHENTICATED' });

      const refusedBatch = await batch('team/main', 'upload', [object]);
      expect(refusedBatch.status).toBe(401);
      expect(refusedBatch.headers['lfs-authenticate']).toMatch(/^Basic realm=/);
      expect(await objectRows(object.oid)).toBe(0);
    });

    it('completes an upload whose transfer token expires while the body is still arriving', async () => {
      const object = testObject(30 * 1024);
      const tokens = new TransferTokenService(new ApiSecrets(TEST_ADMIN_TOKEN, TEST_INTERNAL_SECRET));
      const principal = {
        userId: aliceId,
        username: alice.username,
        admin: false,
        tokenProjectId: null,
        maxRole: null,
      };
      // Whole seconds: expiry is at most 2 s away, while the body below takes about 3 s to send.
      const token = tokens.issue(principal, projectIds.get('team/main') as string, 'write', 2);
      const authorization = basic(alice.username, token);
      const pieces = Array.from({ length: 6 }, (_, index) =>
        object.data.subarray(index * 5120, (index + 1) * 5120),
      );

      const started = Date.now();
      const answer = await request(lfs('team/main', `objects/${object.oid}/${object.size}`), {
        method: 'PUT',
        headers: { authorization, 'content-type': 'application/octet-stream', 'content-length': object.size },
        pieces,
        pauseMs: 500,
      });
      expect(Date.now() - started).toBeGreaterThan(2500);
      expect(answer.status).toBe(200);
      // The same credential no longer starts anything: it really expired during the transfer.
      expect(tokens.verify(token)).toBeUndefined();
      const late = await batch('team/main', 'upload', [object], authorization);
      expect(late.status).toBe(401);
      expect(await stack.api.storage.stat(objectKey(object.oid))).toEqual({ size: object.size });
    });
  });

  describe('concurrent uploads', () => {
    it('links one object once when 20 uploads of it race into one project', async () => {
      const object = testObject(200_000);
      const { upload: action } = await uploadActions('race/one', object);
      const answers = await Promise.all(Array.from({ length: 20 }, () => put(action, object.data)));
      expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
      expect(await objectRows(object.oid)).toBe(1);
      expect((await admin.statistics('race/one')).body).toEqual({
        lfs_objects_count: 1,
        lfs_objects_size: object.size,
        quota_bytes: null,
      });
      expect(await stack.api.storage.stat(objectKey(object.oid))).toEqual({ size: object.size });
      expect(await tempFiles()).toEqual([]);
    });

    it('stores one object and links it to both when 20 uploads race into two projects', async () => {
      const object = testObject(150_000);
      const [first, second] = await Promise.all([
        uploadActions('race/two', object),
        uploadActions('race/three', object),
      ]);
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, index) => put((index % 2 ? first : second).upload, object.data)),
      );
      expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
      expect(await objectRows(object.oid)).toBe(1);
      const links = await stack.api.dataSource.query<{ project_id: string }[]>(
        `SELECT l.project_id FROM lfs_objects_projects l JOIN lfs_objects o ON o.id = l.lfs_object_id
          WHERE o.oid = $1 ORDER BY l.project_id`,
        [object.oid],
      );
      expect(links.map((link) => link.project_id).sort()).toEqual(
        [projectIds.get('race/two'), projectIds.get('race/three')].sort(),
      );
      for (const project of ['race/two', 'race/three']) {
        expect((await admin.statistics(project)).body).toEqual({
          lfs_objects_count: 1,
          lfs_objects_size: object.size,
          quota_bytes: null,
        });
      }
    });

    it('lets exactly as many racing uploads in as the quota holds and refuses the rest with 507', async () => {
      const objects = Array.from({ length: 20 }, () => testObject(100));
      // One batch per object, all before any upload: nothing is linked yet, so every batch passes its quota check.
      const actions = await Promise.all(objects.map((object) => uploadActions('race/quota', object)));
      const answers = await Promise.all(
        objects.map((object, index) => put(actions[index].upload, object.data)),
      );

      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses).toEqual([...Array<number>(10).fill(200), ...Array<number>(10).fill(507)]);
      for (const refused of answers.filter((answer) => answer.status === 507)) {
        expect(refused.headers['content-type']).toMatch(/^application\/vnd\.git-lfs\+json/);
        expect(json(refused)).toMatchObject({
          code: 'QUOTA_EXCEEDED',
          message: expect.stringMatching(/quota/),
        });
      }
      expect((await admin.statistics('race/quota')).body).toEqual({
        lfs_objects_count: 10,
        lfs_objects_size: 1000,
        quota_bytes: 1000,
      });
      const accepted = objects.filter((_, index) => answers[index]?.status === 200);
      const refused = objects.filter((_, index) => answers[index]?.status === 507);
      for (const object of accepted) {
        expect(await objectRows(object.oid)).toBe(1);
      }
      // Refusals at finalize come after the bytes were verified and written (here usually all ten): they are
      // recorded in lfs_objects but linked to no project, so garbage collection can find them and nothing can
      // download them.
      for (const object of refused) {
        const links = await stack.api.dataSource.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM lfs_objects_projects l JOIN lfs_objects o ON o.id = l.lfs_object_id
            WHERE o.oid = $1`,
          [object.oid],
        );
        expect(links[0]?.n).toBe(0);
        expect(await objectRows(object.oid)).toBeLessThanOrEqual(1);
      }
      for (const object of refused) {
        const answer = await request(lfs('race/quota', `objects/${object.oid}`), {
          method: 'GET',
          headers: { authorization: basic(alice.username, alice.password) },
        });
        expect(answer.status).toBe(404);
      }
    });
  });

  describe('download', () => {
    const object = testObject(5000);
    let download: BatchAction;

    beforeAll(async () => {
      await upload('team/other', object);
      const answer = await batch('team/other', 'download', [object], basic(alice.username, alice.password));
      const action = (json(answer).objects as BatchObject[])[0]?.actions?.download;
      if (!action) {
        throw new Error(`no download action: ${answer.body}`);
      }
      download = action;
    });

    it('streams the bytes with their length', async () => {
      const answer = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; data: Buffer }>(
        (resolve, reject) => {
          http
            .get(download.href, { headers: download.header, agent: false }, (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (chunk: Buffer) => chunks.push(chunk));
              res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, headers: res.headers, data: Buffer.concat(chunks) }),
              );
            })
            .on('error', reject);
        },
      );
      expect(answer.status).toBe(200);
      expect(answer.headers['content-length']).toBe('5000');
      expect(answer.data.equals(object.data)).toBe(true);
    });

    it('honours a byte range with 206 and Content-Range', async () => {
      const answer = await request(download.href, {
        method: 'GET',
        headers: { ...download.header, range: 'bytes=10-19' },
      });
      expect(answer.status).toBe(206);
      expect(answer.headers['content-range']).toBe('bytes 10-19/5000');
      expect(answer.headers['content-length']).toBe('10');
      const bytes = await fetch(download.href, { headers: { ...download.header, range: 'bytes=10-19' } });
      expect(Buffer.from(await bytes.arrayBuffer()).equals(object.data.subarray(10, 20))).toBe(true);
    });

    it('answers 416 to a range past the end', async () => {
      const answer = await request(download.href, {
        method: 'GET',
        headers: { ...download.header, range: 'bytes=6000-7000' },
      });
      expect(answer.status).toBe(416);
      expect(answer.headers['content-range']).toBe('bytes */5000');
    });

    it('answers 404 for an object linked only to another project (proof of possession)', async () => {
      const answer = await request(lfs('team/main', `objects/${object.oid}`), {
        method: 'GET',
        headers: { authorization: basic(alice.username, alice.password) },
      });
      expect(answer.status).toBe(404);
      expect(answer.headers['content-type']).toMatch(/^application\/vnd\.git-lfs\+json/);
      expect(json(answer)).toMatchObject({ code: 'OBJECT_NOT_FOUND' });
      const listed = await batch('team/main', 'download', [object], basic(alice.username, alice.password));
      expect((json(listed).objects as BatchObject[])[0]?.error?.code).toBe(404);
    });

    it('answers 404 JSON, not 500, when a linked object has lost its bytes', async () => {
      const lost = testObject(300);
      await upload('team/other', lost);
      await rm(path.join(storageRoot, ...objectKey(lost.oid).split('/')));
      const answer = await request(lfs('team/other', `objects/${lost.oid}`), {
        method: 'GET',
        headers: { authorization: basic(alice.username, alice.password) },
      });
      expect(answer.status).toBe(404);
      expect(answer.headers['content-type']).toMatch(/^application\/vnd\.git-lfs\+json/);
      expect(json(answer)).toMatchObject({ code: 'OBJECT_NOT_FOUND' });
    });

    it('cuts the connection instead of hanging when the stored bytes are shorter than recorded', async () => {
      const shortened = testObject(4000);
      await upload('team/other', shortened);
      await truncate(path.join(storageRoot, ...objectKey(shortened.oid).split('/')), 1000);
      const outcome = await new Promise<string>((resolve) => {
        http
          .get(
            lfs('team/other', `objects/${shortened.oid}`),
            {
              headers: { authorization: basic(alice.username, alice.password) },
              agent: false,
            },
            (res) => {
              res.on('data', () => undefined);
              res.on('end', () => resolve('ended'));
              res.on('error', () => resolve('cut'));
              res.on('aborted', () => resolve('cut'));
            },
          )
          .on('error', () => resolve('cut'));
      });
      expect(outcome).toBe('cut');
    });

    it('serves a public project anonymously', async () => {
      const open = testObject(777);
      await upload('team/public', open);
      const listed = await batch('team/public', 'download', [open]);
      expect(listed.status).toBe(200);
      const action = (json(listed).objects as BatchObject[])[0]?.actions?.download;
      expect(action?.header).toBeUndefined();
      const bytes = await fetch(action?.href ?? '');
      expect(bytes.status).toBe(200);
      expect(Buffer.from(await bytes.arrayBuffer()).equals(open.data)).toBe(true);
    });

    it('refuses a user who is not a member of the private project', async () => {
      const answer = await request(download.href, {
        method: 'GET',
        headers: { authorization: basic(bob.username, bob.password) },
      });
      expect([403, 404]).toContain(answer.status);
      expect(json(answer)).toMatchObject({ request_id: expect.any(String) });
    });
  });

  describe('internal endpoints', () => {
    const payload = JSON.stringify({ project: 'team/main', oid: 'a'.repeat(64), size: 1 });

    it('refuses an unsigned authorize call with 403', async () => {
      const answer = await request(`${stack.api.url}${INTERNAL_PATHS.authorizeUpload}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
      });
      expect(answer.status).toBe(403);
      expect(json(answer)).toMatchObject({ code: 'FORBIDDEN' });
    });

    it('refuses a wrongly signed authorize or finalize call with 403', async () => {
      for (const internalPath of [INTERNAL_PATHS.authorizeUpload, INTERNAL_PATHS.finalizeUpload]) {
        const signatures = [
          signInternalRequest('not-the-internal-secret-0123456789abcdef', 'POST', internalPath, payload),
          // The right secret over another body: a signature does not carry over to a different call.
          signInternalRequest(TEST_INTERNAL_SECRET, 'POST', internalPath, '{}'),
          'garbage',
        ];
        for (const signature of signatures) {
          const answer = await request(`${stack.api.url}${internalPath}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', [INTERNAL_SIGNATURE_HEADER]: signature },
            body: payload,
          });
          expect(answer.status).toBe(403);
        }
      }
      // The same call correctly signed gets through the guard (here: to a 401 for the missing credentials).
      const signed = await request(`${stack.api.url}${INTERNAL_PATHS.authorizeUpload}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [INTERNAL_SIGNATURE_HEADER]: signInternalRequest(
            TEST_INTERNAL_SECRET,
            'POST',
            INTERNAL_PATHS.authorizeUpload,
            payload,
          ),
        },
        body: payload,
      });
      expect(signed.status).toBe(401);
    });
  });

  describe('malformed requests through the proxy', () => {
    it('forwards a PUT with a bad oid to the API and answers a JSON 404', async () => {
      const answer = await request(lfs('team/main', 'objects/not-an-oid/10'), {
        method: 'PUT',
        headers: { authorization: basic(alice.username, alice.password) },
        body: '0123456789',
      });
      expect(answer.status).toBe(404);
      expect(json(answer)).toMatchObject({ request_id: expect.any(String) });
    });

    it('answers a batch with broken JSON with 400 JSON', async () => {
      const answer = await request(lfs('team/main', 'objects/batch'), {
        method: 'POST',
        headers: {
          accept: LFS_MEDIA_TYPE,
          'content-type': LFS_MEDIA_TYPE,
          authorization: basic(alice.username, alice.password),
        },
        body: '{"operation": "upload", "objects": [',
      });
      expect(answer.status).toBe(400);
      expect(answer.headers['content-type']).toMatch(/^application\/vnd\.git-lfs\+json/);
      expect(json(answer)).toMatchObject({ code: 'MALFORMED_JSON' });
    });

    it('answers 503 JSON on transfer routes while the API is unreachable, as the API answers SERVICE_UNAVAILABLE', async () => {
      const closed = await new Promise<number>((resolve) => {
        const server = net.createServer();
        server.listen(0, '127.0.0.1', () => {
          const { port } = server.address() as net.AddressInfo;
          server.close(() => resolve(port));
        });
      });
      const orphan = new ProxyServer({
        apiUrl: `http://127.0.0.1:${closed}`,
        internalSecret: TEST_INTERNAL_SECRET,
        storage: stack.api.storage,
        log: () => undefined,
      });
      const port = await orphan.listen(0, '127.0.0.1');
      try {
        const object = testObject(10);
        const base = `http://127.0.0.1:${port}/team/main.git/info/lfs`;
        for (const [method, url] of [
          ['PUT', `${base}/objects/${object.oid}/${object.size}`],
          ['GET', `${base}/objects/${object.oid}`],
          ['POST', `${base}/objects/batch`],
        ] as const) {
          const answer = await request(url, { method, body: method === 'GET' ? undefined : object.data });
          expect({ method, status: answer.status }).toEqual({ method, status: 503 });
          expect(answer.headers['content-type']).toMatch(/^application\/vnd\.git-lfs\+json/);
          expect(json(answer)).toMatchObject({
            code: 'SERVICE_UNAVAILABLE',
            message: expect.stringContaining('API is not reachable'),
            documentation_url: DOCUMENTATION_URL,
          });
        }
        expect(await tempFiles()).toEqual([]);
      } finally {
        await orphan.close();
      }
    });

    it('never answers 500 to odd object requests', async () => {
      const oid = 'b'.repeat(64);
      const auth = { authorization: basic(alice.username, alice.password) };
      const cases: [string, string, Record<string, string>][] = [
        ['PUT', lfs('team/main', `objects/${oid}/99999999999999999`), auth],
        ['PUT', lfs('team/main', `objects/${oid}/9999999999999999`), auth],
        ['PUT', lfs('no/such-project', `objects/${oid}/1`), auth],
        ['GET', lfs('team/main', `objects/${oid}`), auth],
        ['GET', lfs('team/main', `objects/${oid}/12`), auth],
        ['GET', `${stack.url}/%E0%A4%A.git/info/lfs/objects/${oid}`, auth],
        ['PUT', lfs('team/main', `objects/${oid}/1`), { authorization: 'Basic !!!' }],
      ];
      for (const [method, url, headers] of cases) {
        const answer = await request(url, { method, headers, body: method === 'PUT' ? 'x' : undefined });
        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
      }
    });
  });
});
