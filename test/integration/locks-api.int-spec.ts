import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatBasicAuthorization } from '@lfs-depot/auth';

import type { ApiHarness } from '../helpers/api-harness.js';
import { adminClient, startApiHarness } from '../helpers/api-harness.js';
import { TestFactory } from '../helpers/factories.js';
import { validateAgainstSchema } from '../helpers/lfs-schemas.js';

const LFS = 'application/vnd.git-lfs+json';
const CREATE_SCHEMA = 'http-lock-create-response-schema.json';
const LIST_SCHEMA = 'http-lock-list-response-schema.json';
const VERIFY_SCHEMA = 'http-lock-verify-response-schema.json';

interface Account {
  username: string;
  password: string;
}

interface LockBody {
  id: string;
  path: string;
  locked_at: string;
  owner: { name: string };
}

interface LfsResult {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

describe('file locking API', () => {
  let api: ApiHarness;
  let admin: ReturnType<typeof adminClient>;
  let factory: TestFactory;
  const alice: Account = { username: 'alice', password: 'alice-password' };
  const bob: Account = { username: 'bob', password: 'bob-password' };
  const reader: Account = { username: 'reader', password: 'reader-password' };
  const maintainer: Account = { username: 'maintainer', password: 'maintainer-password' };
  const root: Account = { username: 'root', password: 'root-password' };
  const outsider: Account = { username: 'outsider', password: 'outsider-password' };
  let projectCounter = 0;

  async function lfs(
    method: 'GET' | 'POST',
    project: string,
    suffix: string,
    options: { as?: Account; body?: unknown; raw?: string; accept?: string } = {},
  ): Promise<LfsResult> {
    const response = await fetch(`${api.url}/${project}/info/lfs/locks${suffix}`, {
      method,
      headers: {
        accept: options.accept ?? LFS,
        ...(method === 'POST' ? { 'content-type': LFS } : {}),
        ...(options.as
          ? { authorization: formatBasicAuthorization(options.as.username, options.as.password) }
          : {}),
      },
      body: method === 'POST' ? (options.raw ?? JSON.stringify(options.body ?? {})) : undefined,
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
  }

  const createLock = (project: string, as: Account | undefined, body: unknown) =>
    lfs('POST', `${project}.git`, '', { as, body });
  const listLocks = (project: string, as: Account | undefined, query = '') =>
    lfs('GET', `${project}.git`, query ? `?${query}` : '', { as });
  const verifyLocks = (project: string, as: Account | undefined, body: unknown = {}) =>
    lfs('POST', `${project}.git`, '/verify', { as, body });
  const unlock = (project: string, as: Account | undefined, id: string, body: unknown = {}) =>
    lfs('POST', `${project}.git`, `/${encodeURIComponent(id)}/unlock`, { as, body });

  /** A fresh private project where alice and bob write, reader reads and maintainer maintains. */
  async function newProject(visibility: 'private' | 'public' = 'private'): Promise<string> {
    projectCounter += 1;
    const project = await factory.project({
      path: `acme/sub/locks-${projectCounter}`,
      visibility,
      members: {
        [alice.username]: 'write',
        [bob.username]: 'write',
        [reader.username]: 'read',
        [maintainer.username]: 'maintainer',
      },
    });
    return project.path;
  }

  async function lockAs(project: string, who: Account, path: string): Promise<LockBody> {
    const result = await createLock(project, who, { path });
    expect(result.status).toBe(201);
    return result.body.lock as LockBody;
  }

  function expectLfsError(result: LfsResult, status: number, code: string): void {
    expect(result.status).toBe(status);
    expect(result.headers.get('content-type')).toMatch(/^application\/vnd\.git-lfs\+json/);
    expect(result.body).toMatchObject({ message: expect.any(String), request_id: expect.any(String), code });
  }

  beforeAll(async () => {
    api = await startApiHarness();
    admin = adminClient(api.url);
    factory = TestFactory.forApi(api);
    for (const who of [alice, bob, reader, maintainer, outsider]) {
      expect((await admin.createUser(who.username, who.password)).status).toBe(201);
    }
    expect((await admin.createUser(root.username, root.password, true)).status).toBe(201);
  });

  afterAll(async () => {
    await api.close();
  });

  describe('POST /locks', () => {
    it('returns 201 with the new lock, owned by the caller, in the Git LFS shape', async () => {
      const project = await newProject();
      const before = Date.now();
      const result = await createLock(project, alice, {
        path: 'art/hero.psd',
        ref: { name: 'refs/heads/main' },
      });

      expect(result.status).toBe(201);
      expect(result.headers.get('content-type')).toMatch(/^application\/vnd\.git-lfs\+json/);
      expect(validateAgainstSchema(CREATE_SCHEMA, result.body)).toEqual([]);
      expect(result.body).toEqual({
        lock: {
          id: expect.stringMatching(/^\d+$/),
          path: 'art/hero.psd',
          locked_at: expect.any(String),
          owner: { name: 'alice' },
        },
      });
      const lockedAt = Date.parse((result.body.lock as LockBody).locked_at);
      expect(lockedAt).toBeGreaterThanOrEqual(before - 5000);
      expect(lockedAt).toBeLessThanOrEqual(Date.now() + 5000);
      const rows = await api.dataSource.query<{ path: string; ref_name: string | null }[]>(
        `SELECT path, ref_name FROM lfs_file_locks WHERE id = $1`,
        [(result.body.lock as LockBody).id],
      );
      expect(rows).toEqual([{ path: 'art/hero.psd', ref_name: 'refs/heads/main' }]);
    });

    it('stores canonical paths exactly as given and answers on project paths with and without .git', async () => {
      const project = await newProject();
      const paths = ['Ünïcødé/файл 1.psd', ' padded ', '.hidden/x', 'a'.repeat(2048)];
      for (const path of paths) {
        expect((await lockAs(project, alice, path)).path).toBe(path);
      }
      const withoutGit = await lfs('POST', project, '', { as: alice, body: { path: 'no-dot-git.bin' } });
      expect(withoutGit.status).toBe(201);
      const stored = await api.dataSource.query<{ path: string }[]>(
        `SELECT l.path FROM lfs_file_locks l JOIN projects p ON p.id = l.project_id WHERE p.path = $1 ORDER BY l.id`,
        [project],
      );
      expect(stored.map((row) => row.path)).toEqual([...paths, 'no-dot-git.bin']);
    });

    it('returns 409 with the existing lock when the path is held, whoever asks', async () => {
      const project = await newProject();
      const existing = await lockAs(project, alice, 'model.fbx');
      for (const who of [alice, bob]) {
        const result = await createLock(project, who, { path: 'model.fbx' });
        expectLfsError(result, 409, 'LOCK_EXISTS');
        expect(result.body.lock).toEqual(existing);
        expect(result.body.message).toMatch(/already locked by alice/);
        expect(validateAgainstSchema(CREATE_SCHEMA, result.body)).toEqual([]);
      }
      // The same path in another project is a different lock.
      const other = await newProject();
      expect((await createLock(other, bob, { path: 'model.fbx' })).status).toBe(201);
    });

    it('answers 401 with an LFS-Authenticate challenge to anonymous callers, even on a public project', async () => {
      for (const visibility of ['private', 'public'] as const) {
        const project = await newProject(visibility);
        const result = await createLock(project, undefined, { path: 'a.bin' });
        expectLfsError(result, 401, 'UNAUTHENTICATED');
        expect(result.headers.get('lfs-authenticate')).toMatch(/^Basic realm=/);
      }
    });

    it('refuses readers (403), hides private projects from non-members (404) and checks credentials (401)', async () => {
      const project = await newProject();
      expectLfsError(await createLock(project, reader, { path: 'a.bin' }), 403, 'FORBIDDEN');
      expectLfsError(await createLock(project, outsider, { path: 'a.bin' }), 404, 'PROJECT_NOT_FOUND');
      expectLfsError(await createLock('acme/missing', alice, { path: 'a.bin' }), 404, 'PROJECT_NOT_FOUND');
      expectLfsError(
        await createLock(project, { username: 'alice', password: 'wrong-password' }, { path: 'a.bin' }),
        401,
        'UNAUTHENTICATED',
      );
      const rows = await api.dataSource.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM lfs_file_locks l JOIN projects p ON p.id = l.project_id WHERE p.path = $1`,
        [project],
      );
      expect(rows[0]?.n).toBe(0);
    });

    it('answers 422 to a missing, empty, non-string, too long or NUL-bearing path and to a bad ref', async () => {
      const project = await newProject();
      for (const body of [
        {},
        { path: '' },
        { path: 42 },
        { path: ['a'] },
        { path: 'a'.repeat(2049) },
        { path: { toString: 1 } },
        { path: 'a\u0000b' },
        { path: 'lone\ud800surrogate' },
        { path: 'ok.bin', ref: 'refs/heads/main' },
        { path: 'ok.bin', ref: { name: 7 } },
        { path: 'ok.bin', ref: { name: 'refs/heads/\u0000' } },
        [{ path: 'ok.bin' }],
      ]) {
        expectLfsError(await createLock(project, alice, body), 422, 'VALIDATION_FAILED');
      }
      const unparseable = await lfs('POST', project, '', { as: alice, raw: '{"path":' });
      expectLfsError(unparseable, 400, 'MALFORMED_JSON');
      expect((await listLocks(project, alice)).body).toEqual({ locks: [] });
    });

    it('answers 422 to a path as git never names one, which push enforcement would never match', async () => {
      const project = await newProject();
      for (const path of ['/a', './a', 'b/../a', 'a\\b', 'a//b', 'a/']) {
        const result = await createLock(project, alice, { path });
        expectLfsError(result, 422, 'VALIDATION_FAILED');
        expect(result.body.message).toContain(`path ${JSON.stringify(path)} is not a path as git names it`);
      }
      expectLfsError(
        await listLocks(project, alice, `path=${encodeURIComponent('./a')}`),
        422,
        'VALIDATION_FAILED',
      );
      expect((await listLocks(project, alice)).body).toEqual({ locks: [] });
    });

    it('answers 422, not a database error, to a long path the index could not hold', async () => {
      const project = await newProject();
      // ~2,700 poorly compressible bytes: too big for a btree index entry.
      const path = randomBytes(1350).toString('hex');
      expectLfsError(await createLock(project, alice, { path }), 422, 'VALIDATION_FAILED');
      const longest = randomBytes(1024).toString('hex');
      expect((await createLock(project, alice, { path: longest })).status).toBe(201);
    });

    it('refuses the lock after MAX_LOCKS_PER_PROJECT with 422, exactly, however many race for the last ones', async () => {
      const limited = await startApiHarness({ MAX_LOCKS_PER_PROJECT: '5' }, { shareWith: api });
      try {
        for (let round = 0; round < 5; round++) {
          const project = await newProject();
          expect((await createLock(project, alice, { path: 'first.psd' })).status).toBe(201);
          const results = await Promise.all(
            Array.from({ length: 12 }, async (_, index) => {
              const response = await fetch(`${limited.url}/${project}.git/info/lfs/locks`, {
                method: 'POST',
                headers: {
                  accept: LFS,
                  'content-type': LFS,
                  authorization: formatBasicAuthorization(alice.username, alice.password),
                },
                body: JSON.stringify({ path: `race/${index}.psd` }),
              });
              return { status: response.status, body: (await response.json()) as Record<string, unknown> };
            }),
          );
          expect(results.filter((result) => result.status === 201)).toHaveLength(4);
          const refused = results.filter((result) => result.status !== 201);
          expect(refused).toHaveLength(8);
          for (const result of refused) {
            expect(result).toMatchObject({ status: 422, body: { code: 'TOO_MANY_LOCKS' } });
          }
          // A path already locked is still reported as such, with its lock.
          const again = await fetch(`${limited.url}/${project}.git/info/lfs/locks`, {
            method: 'POST',
            headers: {
              accept: LFS,
              'content-type': LFS,
              authorization: formatBasicAuthorization(bob.username, bob.password),
            },
            body: JSON.stringify({ path: 'first.psd' }),
          });
          expect(again.status).toBe(409);
          const rows = await api.dataSource.query<{ n: number }[]>(
            `SELECT count(*)::int AS n FROM lfs_file_locks l JOIN projects p ON p.id = l.project_id WHERE p.path = $1`,
            [project],
          );
          expect(rows[0]?.n).toBe(5);
        }
      } finally {
        await limited.close();
      }
    });

    it('answers 404 to a URL whose project path holds info/lfs or a NUL, never acting on a shorter project', async () => {
      const project = await newProject();
      for (const prefix of [`${project}/info/lfs/x`, `${project}%2Finfo%2Flfs%2Fx`, `${project}%00`]) {
        const result = await lfs('POST', prefix, '', { as: alice, body: { path: 'a.psd' } });
        expect(result.status).toBe(404);
        expect(result.body).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
      }
      expect((await listLocks(project, alice)).body).toEqual({ locks: [] });
    });

    it('answers 406 when the client does not accept the Git LFS media type', async () => {
      const project = await newProject();
      const result = await lfs('POST', project, '', { as: alice, body: { path: 'a' }, accept: 'text/html' });
      expectLfsError(result, 406, 'NOT_ACCEPTABLE');
    });

    it('creates exactly one lock out of 20 concurrent requests for one path', async () => {
      const project = await newProject();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          createLock(project, index % 2 === 0 ? alice : bob, { path: 'contended.psd' }),
        ),
      );
      const created = results.filter((result) => result.status === 201);
      const conflicts = results.filter((result) => result.status === 409);
      expect(created).toHaveLength(1);
      expect(conflicts).toHaveLength(19);
      const winner = created[0]?.body.lock as LockBody;
      for (const conflict of conflicts) {
        expect(conflict.body.lock).toEqual(winner);
      }
      const rows = await api.dataSource.query<{ id: string }[]>(
        `SELECT l.id FROM lfs_file_locks l JOIN projects p ON p.id = l.project_id WHERE p.path = $1`,
        [project],
      );
      expect(rows).toEqual([{ id: winner.id }]);
    });
  });

  describe('GET /locks', () => {
    it('returns an empty array when there are no locks', async () => {
      const project = await newProject();
      const result = await listLocks(project, reader);
      expect(result.status).toBe(200);
      expect(result.headers.get('content-type')).toMatch(/^application\/vnd\.git-lfs\+json/);
      expect(result.body).toEqual({ locks: [] });
      expect(validateAgainstSchema(LIST_SCHEMA, result.body)).toEqual([]);
    });

    it('filters by path and id, accepts empty parameters and ignores refspec', async () => {
      const project = await newProject();
      const first = await lockAs(project, alice, 'a.psd');
      const second = await lockAs(project, bob, 'b/c.psd');

      const all = await listLocks(project, reader, 'path=&id=&cursor=&limit=&refspec=');
      expect(all.status).toBe(200);
      expect(all.body).toEqual({ locks: [first, second] });
      expect(validateAgainstSchema(LIST_SCHEMA, all.body)).toEqual([]);

      expect((await listLocks(project, reader, `path=${encodeURIComponent('b/c.psd')}`)).body).toEqual({
        locks: [second],
      });
      expect((await listLocks(project, reader, `id=${first.id}`)).body).toEqual({ locks: [first] });
      expect((await listLocks(project, reader, `id=${first.id}&path=b%2Fc.psd`)).body).toEqual({ locks: [] });
      expect((await listLocks(project, reader, 'path=missing.psd')).body).toEqual({ locks: [] });
      expect((await listLocks(project, reader, 'id=not-a-number')).body).toEqual({ locks: [] });
      expect((await listLocks(project, reader, 'id=99999999999999999999999')).body).toEqual({ locks: [] });
      expect((await listLocks(project, reader, 'refspec=refs%2Fheads%2Fother')).body).toEqual({
        locks: [first, second],
      });
    });

    it('pages through many locks with next_cursor, in id order', async () => {
      const project = await newProject();
      const created: LockBody[] = [];
      for (let index = 0; index < 7; index += 1) {
        created.push(await lockAs(project, index % 2 === 0 ? alice : bob, `file-${index}.bin`));
      }
      const pages: LockBody[][] = [];
      let cursor: string | undefined;
      do {
        const result = await listLocks(project, reader, `limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        expect(result.status).toBe(200);
        expect(validateAgainstSchema(LIST_SCHEMA, result.body)).toEqual([]);
        pages.push(result.body.locks as LockBody[]);
        cursor = result.body.next_cursor as string | undefined;
        expect(pages.length).toBeLessThanOrEqual(3);
      } while (cursor);
      expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
      expect(pages.flat()).toEqual(created);

      // Exactly a full last page: no next_cursor pointing at nothing.
      const exact = await listLocks(project, reader, `limit=7`);
      expect(exact.body).toEqual({ locks: created });
      // Above the maximum is capped, not refused; no limit means the default of 100.
      expect((await listLocks(project, reader, 'limit=5000')).body).toEqual({ locks: created });
      expect((await listLocks(project, reader)).body).toEqual({ locks: created });
    });

    it('answers 422 to an invalid limit or cursor', async () => {
      const project = await newProject();
      await lockAs(project, alice, 'x.bin');
      for (const query of [
        'limit=0',
        'limit=-1',
        'limit=abc',
        'limit=1.5',
        'limit=1&limit=2',
        'cursor=abc',
        'cursor=-3',
      ]) {
        expectLfsError(await listLocks(project, reader, query), 422, 'VALIDATION_FAILED');
      }
    });

    it('needs read access: anonymous is fine on a public project, not on a private one', async () => {
      const publicProject = await newProject('public');
      const lock = await lockAs(publicProject, alice, 'open.bin');
      expect((await listLocks(publicProject, undefined)).body).toEqual({ locks: [lock] });
      expect((await listLocks(publicProject, outsider)).body).toEqual({ locks: [lock] });

      const privateProject = await newProject();
      const anonymous = await listLocks(privateProject, undefined);
      expectLfsError(anonymous, 401, 'UNAUTHENTICATED');
      expect(anonymous.headers.get('lfs-authenticate')).toMatch(/^Basic realm=/);
      expectLfsError(await listLocks(privateProject, outsider), 404, 'PROJECT_NOT_FOUND');
    });
  });

  describe('POST /locks/verify', () => {
    it('splits the locks into ours and theirs', async () => {
      const project = await newProject();
      const a1 = await lockAs(project, alice, 'a1.psd');
      const b1 = await lockAs(project, bob, 'b1.psd');
      const a2 = await lockAs(project, alice, 'a2.psd');

      const forAlice = await verifyLocks(project, alice, { ref: { name: 'refs/heads/main' } });
      expect(forAlice.status).toBe(200);
      expect(forAlice.headers.get('content-type')).toMatch(/^application\/vnd\.git-lfs\+json/);
      expect(forAlice.body).toEqual({ ours: [a1, a2], theirs: [b1] });
      expect(validateAgainstSchema(VERIFY_SCHEMA, forAlice.body)).toEqual([]);

      const forMaintainer = await verifyLocks(project, maintainer);
      expect(forMaintainer.body).toEqual({ ours: [], theirs: [a1, b1, a2] });
      expect(validateAgainstSchema(VERIFY_SCHEMA, forMaintainer.body)).toEqual([]);
    });

    it('answers empty arrays when there are no locks, and accepts an empty body', async () => {
      const project = await newProject();
      const result = await lfs('POST', `${project}.git`, '/verify', { as: alice, raw: '' });
      expect(result.status).toBe(200);
      expect(result.body).toEqual({ ours: [], theirs: [] });
      expect(validateAgainstSchema(VERIFY_SCHEMA, result.body)).toEqual([]);
    });

    it('pages with cursor and limit in the body', async () => {
      const project = await newProject();
      const locks: LockBody[] = [];
      for (let index = 0; index < 5; index += 1) {
        locks.push(await lockAs(project, index < 2 ? alice : bob, `v-${index}.bin`));
      }
      const first = await verifyLocks(project, alice, { limit: 2 });
      expect(first.body).toEqual({ ours: locks.slice(0, 2), theirs: [], next_cursor: locks[1]?.id });
      expect(validateAgainstSchema(VERIFY_SCHEMA, first.body)).toEqual([]);
      const second = await verifyLocks(project, alice, { limit: 2, cursor: first.body.next_cursor });
      expect(second.body).toEqual({ ours: [], theirs: locks.slice(2, 4), next_cursor: locks[3]?.id });
      const last = await verifyLocks(project, alice, { limit: 2, cursor: second.body.next_cursor });
      expect(last.body).toEqual({ ours: [], theirs: locks.slice(4) });
    });

    it('needs push access and a valid body', async () => {
      const project = await newProject('public');
      expectLfsError(await verifyLocks(project, undefined), 401, 'UNAUTHENTICATED');
      expectLfsError(await verifyLocks(project, reader), 403, 'FORBIDDEN');
      expectLfsError(await verifyLocks(project, outsider), 403, 'FORBIDDEN');
      for (const body of [
        { limit: 0 },
        { limit: 'ten' },
        { limit: 2.5 },
        { cursor: 12 },
        { cursor: 'x' },
        { ref: 'main' },
      ]) {
        expectLfsError(await verifyLocks(project, alice, body), 422, 'VALIDATION_FAILED');
      }
    });
  });

  describe('POST /locks/:id/unlock', () => {
    it('lets the owner unlock, returning the deleted lock', async () => {
      const project = await newProject();
      const lock = await lockAs(project, alice, 'mine.psd');
      const result = await unlock(project, alice, lock.id, { ref: { name: 'refs/heads/main' } });
      expect(result.status).toBe(200);
      expect(result.headers.get('content-type')).toMatch(/^application\/vnd\.git-lfs\+json/);
      expect(result.body).toEqual({ lock });
      expect(validateAgainstSchema(CREATE_SCHEMA, result.body)).toEqual([]);
      expect((await listLocks(project, alice)).body).toEqual({ locks: [] });
      expectLfsError(await unlock(project, alice, lock.id), 404, 'LOCK_NOT_FOUND');
      // The path can be locked again, by someone else.
      expect((await createLock(project, bob, { path: 'mine.psd' })).status).toBe(201);
    });

    it("refuses another user's lock without force, even to a maintainer (403)", async () => {
      const project = await newProject();
      const lock = await lockAs(project, alice, 'theirs.psd');
      for (const who of [bob, maintainer]) {
        const result = await unlock(project, who, lock.id);
        expectLfsError(result, 403, 'FORBIDDEN');
        expect(result.body.message).toMatch(/locked by alice/);
      }
      expect((await listLocks(project, alice)).body).toEqual({ locks: [lock] });
    });

    it('refuses a forced unlock by a writer (403) and allows one by a maintainer or an admin', async () => {
      const project = await newProject();
      const first = await lockAs(project, alice, 'forced-1.psd');
      const second = await lockAs(project, alice, 'forced-2.psd');

      const byWriter = await unlock(project, bob, first.id, { force: true });
      expectLfsError(byWriter, 403, 'FORBIDDEN');
      expect(byWriter.body.message).toMatch(/maintainer/);

      const byMaintainer = await unlock(project, maintainer, first.id, { force: true });
      expect(byMaintainer.status).toBe(200);
      expect(byMaintainer.body).toEqual({ lock: first });
      expect(validateAgainstSchema(CREATE_SCHEMA, byMaintainer.body)).toEqual([]);

      const byAdmin = await unlock(project, root, second.id, { force: true });
      expect(byAdmin.status).toBe(200);
      expect(byAdmin.body).toEqual({ lock: second });
      expect((await listLocks(project, alice)).body).toEqual({ locks: [] });
    });

    it('answers 404 to unknown, non-numeric, out-of-range and other-project ids', async () => {
      const project = await newProject();
      const elsewhere = await lockAs(await newProject(), alice, 'elsewhere.psd');
      for (const id of ['999999', 'abc', '1e3', '-1', '0', '99999999999999999999999', 'a b', elsewhere.id]) {
        expectLfsError(await unlock(project, alice, id, { force: true }), 404, 'LOCK_NOT_FOUND');
      }
    });

    it.each([
      ['a form post', { 'content-type': 'application/x-www-form-urlencoded' }, 'force=true'],
      ['a multipart form post', { 'content-type': 'multipart/form-data; boundary=x' }, '--x--\r\n'],
      ['JSON sent as text/plain (a no-cors fetch)', { 'content-type': 'text/plain' }, '{"force":true}'],
      ['a body without a content type', {}, '{"force":true}'],
      ['no body at all', {}, undefined],
    ])('answers 415 to %s and leaves the lock in place', async (_, headers, body) => {
      const project = await newProject();
      const lock = await lockAs(project, alice, 'csrf.psd');
      const response = await fetch(`${api.url}/${project}.git/info/lfs/locks/${lock.id}/unlock`, {
        method: 'POST',
        headers: {
          accept: LFS,
          authorization: formatBasicAuthorization(alice.username, alice.password),
          ...headers,
        },
        body,
      });

      expectLfsError(
        {
          status: response.status,
          headers: response.headers,
          body: (await response.json()) as Record<string, unknown>,
        },
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expect((await listLocks(project, alice)).body).toEqual({ locks: [lock] });
    });

    it('needs push access and a boolean force', async () => {
      const project = await newProject();
      const lock = await lockAs(project, alice, 'guarded.psd');
      expectLfsError(await unlock(project, undefined, lock.id), 401, 'UNAUTHENTICATED');
      expectLfsError(await unlock(project, reader, lock.id, { force: true }), 403, 'FORBIDDEN');
      expectLfsError(await unlock(project, outsider, lock.id, { force: true }), 404, 'PROJECT_NOT_FOUND');
      expectLfsError(await unlock(project, alice, lock.id, { force: 'yes' }), 422, 'VALIDATION_FAILED');
      expectLfsError(
        await unlock(project, alice, lock.id, { ref: { name: null } }),
        422,
        'VALIDATION_FAILED',
      );
      expect((await listLocks(project, alice)).body).toEqual({ locks: [lock] });
    });
  });

  describe('SQL cost', () => {
    it('lists 1 and 50 locks with the same number of statements', async () => {
      const small = await newProject();
      const large = await newProject();
      await lockAs(small, alice, 'only.bin');
      for (let index = 0; index < 50; index += 1) {
        await lockAs(large, index % 2 === 0 ? alice : bob, `many-${index}.bin`);
      }
      // Warm the password cache so both measured requests authenticate the same way.
      await listLocks(small, alice);

      const countFor = async (project: string, expected: number, request: () => Promise<LfsResult>) => {
        let result: LfsResult | undefined;
        const statements = await api.queries.during(async () => {
          result = await request();
        });
        expect(result?.status).toBe(200);
        const body = result?.body ?? {};
        const size = ((body.locks ?? [...(body.ours as []), ...(body.theirs as [])]) as unknown[]).length;
        expect(size).toBe(expected);
        return statements;
      };

      const listSmall = await countFor(small, 1, () => listLocks(small, alice));
      const listLarge = await countFor(large, 50, () => listLocks(large, alice));
      expect(listLarge).toBe(listSmall);
      expect(listSmall).toBeLessThanOrEqual(4);

      const verifySmall = await countFor(small, 1, () => verifyLocks(small, alice));
      const verifyLarge = await countFor(large, 50, () => verifyLocks(large, alice));
      expect(verifyLarge).toBe(verifySmall);
      expect(verifySmall).toBeLessThanOrEqual(4);
    });

    it('creates, refuses and unlocks with a handful of statements', async () => {
      const project = await newProject();
      await listLocks(project, alice);
      let id = '';
      const create = await api.queries.during(async () => {
        id = ((await createLock(project, alice, { path: 'cost.bin' })).body.lock as LockBody).id;
      });
      const conflict = await api.queries.during(() => createLock(project, alice, { path: 'cost.bin' }));
      const release = await api.queries.during(() => unlock(project, alice, id));
      expect(create).toBeLessThanOrEqual(4);
      expect(conflict).toBeLessThanOrEqual(5);
      expect(release).toBeLessThanOrEqual(5);
    });
  });
});
