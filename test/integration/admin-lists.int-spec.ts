import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import type { ApiHarness } from '../helpers/api-harness.js';
import { adminClient, startApiHarness } from '../helpers/api-harness.js';
import { TestFactory } from '../helpers/factories.js';

const enc = encodeURIComponent;

describe('admin API lists, password change, revocation and force-unlock', () => {
  let api: ApiHarness;
  let admin: ReturnType<typeof adminClient>;
  let factory: TestFactory;

  beforeAll(async () => {
    api = await startApiHarness();
    admin = adminClient(api.url);
    factory = TestFactory.forApi(api);
  });

  afterAll(async () => {
    await api.close();
  });

  /** Every page of a list, following next_cursor; the route's query already holds `?`. */
  async function allPages(route: string, field: string): Promise<Record<string, unknown>[][]> {
    const pages: Record<string, unknown>[][] = [];
    let cursor: string | null = null;
    do {
      const answer = await admin.call('GET', cursor === null ? route : `${route}&cursor=${enc(cursor)}`);
      expect(answer.status).toBe(200);
      pages.push(answer.body?.[field] as Record<string, unknown>[]);
      cursor = answer.body?.next_cursor as string | null;
    } while (cursor !== null);
    return pages;
  }

  describe('GET /users', () => {
    it('pages usernames in order with limit and cursor, filtered by prefix and admin', async () => {
      for (const username of ['lst-c', 'lst-a', 'lst-e', 'lst-b', 'lst-d']) {
        await factory.user({ username, admin: username === 'lst-d' });
      }
      const pages = await allPages('/users?prefix=lst-&limit=2', 'users');
      expect(pages.map((page) => page.map((user) => user.username))).toEqual([
        ['lst-a', 'lst-b'],
        ['lst-c', 'lst-d'],
        ['lst-e'],
      ]);
      expect(pages[0]?.[0]).toEqual({
        id: expect.any(String),
        username: 'lst-a',
        admin: false,
        created_at: expect.any(String),
      });
      const admins = await admin.call('GET', '/users?prefix=lst-&admin=true');
      expect(admins.body).toEqual({
        users: [expect.objectContaining({ username: 'lst-d' })],
        next_cursor: null,
      });
    });

    it('stays stable when users are added between pages: none repeats, none is skipped', async () => {
      for (const username of ['stb-b', 'stb-d', 'stb-f']) {
        await factory.user({ username });
      }
      const first = await admin.call('GET', '/users?prefix=stb-&limit=2');
      expect((first.body?.users as { username: string }[]).map((user) => user.username)).toEqual([
        'stb-b',
        'stb-d',
      ]);
      await factory.user({ username: 'stb-a' });
      await factory.user({ username: 'stb-e' });
      const rest = await admin.call(
        'GET',
        `/users?prefix=stb-&limit=10&cursor=${enc(String(first.body?.next_cursor))}`,
      );
      expect((rest.body?.users as { username: string }[]).map((user) => user.username)).toEqual([
        'stb-e',
        'stb-f',
      ]);
    });

    it('takes % and _ in a prefix literally', async () => {
      await factory.user({ username: 'pct_x' });
      await factory.user({ username: 'pctax' });
      const answer = await admin.call('GET', '/users?prefix=pct_');
      expect((answer.body?.users as { username: string }[]).map((user) => user.username)).toEqual(['pct_x']);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=ten', 'limit'],
      ['admin=yes', 'admin'],
      ['cursor=not-a-cursor!', 'cursor'],
      ['prefix=%00', 'prefix'],
      ['sort=name', 'sort'],
    ])('answers ?%s with 422 naming %s', async (query, field) => {
      const answer = await admin.call('GET', `/users?${query}`);
      expect(answer.status).toBe(422);
      expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(String(answer.body?.message)).toContain(field);
    });

    it("refuses another list's cursor with 422", async () => {
      await factory.project({ path: 'cursor-kind/a' });
      await factory.project({ path: 'cursor-kind/b' });
      const projects = await admin.call('GET', '/projects?prefix=cursor-kind/&limit=1');
      const answer = await admin.call('GET', `/users?cursor=${enc(String(projects.body?.next_cursor))}`);
      expect(answer.status).toBe(422);
      expect(answer.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        message: 'cursor must be the next_cursor of a previous page',
      });
    });
  });

  describe('PUT /users/{username}/password', () => {
    it('replaces the password: the new one signs in, the old one no longer does', async () => {
      await factory.user({ username: 'pw-user', password: 'old-password-1' });
      const project = await factory.project({ members: { 'pw-user': 'read' } });
      const locks = (password: string): Promise<Response> =>
        fetch(`${api.url}/${project.path}.git/info/lfs/locks`, {
          headers: {
            accept: 'application/vnd.git-lfs+json',
            authorization: `Basic ${Buffer.from(`pw-user:${password}`).toString('base64')}`,
          },
        });
      expect((await locks('old-password-1')).status).toBe(200);
      const answer = await admin.call('PUT', '/users/pw-user/password', { password: 'new-password-2' });
      expect(answer.status).toBe(204);
      expect((await locks('new-password-2')).status).toBe(200);
      expect((await locks('old-password-1')).status).toBe(401);
      expect((await admin.call('PUT', '/users/pw-user/password', { password: null })).status).toBe(204);
      expect((await locks('new-password-2')).status).toBe(401);
    });

    it.each([[{ password: 'short' }], [{}], [{ password: 12345678 }], [{ password: 'long-enough', x: 1 }]])(
      'refuses %j with 422',
      async (body) => {
        await factory.user({ username: 'pw-bad' }).catch(() => undefined);
        const answer = await admin.call('PUT', '/users/pw-bad/password', body);
        expect(answer.status).toBe(422);
        expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      },
    );

    it('answers 404 for an unknown user', async () => {
      const answer = await admin.call('PUT', '/users/pw-ghost/password', { password: 'whatever-123' });
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ code: 'USER_NOT_FOUND', message: "User 'pw-ghost' not found" });
    });
  });

  describe('DELETE /users/{username}', () => {
    it('deletes, then answers 404', async () => {
      await factory.user({ username: 'del-user' });
      expect((await admin.call('DELETE', '/users/del-user')).status).toBe(204);
      const again = await admin.call('DELETE', '/users/del-user');
      expect(again.status).toBe(404);
      expect(again.body).toMatchObject({ code: 'USER_NOT_FOUND' });
    });
  });

  describe('tokens', () => {
    it('pages a user’s tokens oldest first and revokes one; an unknown or foreign id is 404 TOKEN_NOT_FOUND', async () => {
      await factory.user({ username: 'tok-owner' });
      await factory.user({ username: 'tok-other' });
      const ids: string[] = [];
      for (const name of ['one', 'two', 'three']) {
        ids.push(String((await admin.createToken('tok-owner', name)).body?.id));
      }
      const pages = await allPages('/users/tok-owner/tokens?limit=2', 'tokens');
      expect(pages.map((page) => page.map((token) => token.name))).toEqual([['one', 'two'], ['three']]);

      expect((await admin.call('DELETE', `/users/tok-owner/tokens/${ids[1]}`)).status).toBe(204);
      const listed = await admin.call('GET', '/users/tok-owner/tokens');
      expect(listed.body?.tokens).toEqual([
        expect.objectContaining({ name: 'one', revoked_at: null }),
        expect.objectContaining({ name: 'two', revoked_at: expect.any(String) }),
        expect.objectContaining({ name: 'three', revoked_at: null }),
      ]);
      for (const route of [
        `/users/tok-other/tokens/${ids[0]}`,
        '/users/tok-owner/tokens/999999',
        '/users/tok-owner/tokens/x',
      ]) {
        const answer = await admin.call('DELETE', route);
        expect(answer.status).toBe(404);
        expect(answer.body).toMatchObject({ code: 'TOKEN_NOT_FOUND' });
      }
      expect((await admin.call('GET', '/users/tok-ghost/tokens')).body).toMatchObject({
        code: 'USER_NOT_FOUND',
      });
    });

    it('pages platform tokens, and answers 404 TOKEN_NOT_FOUND for an unknown one', async () => {
      for (const name of ['pt-1', 'pt-2']) {
        expect((await admin.call('POST', '/platform-tokens', { name })).status).toBe(201);
      }
      const first = await admin.call('GET', '/platform-tokens?limit=1');
      expect(first.body).toEqual({ platform_tokens: [expect.any(Object)], next_cursor: expect.any(String) });
      const answer = await admin.call('DELETE', '/platform-tokens/987654');
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ code: 'TOKEN_NOT_FOUND' });
    });
  });

  describe('GET /projects', () => {
    it('pages paths in order with usage and quota, filtered by prefix and visibility', async () => {
      const engine = await factory.project({ path: 'lst/engine', quotaBytes: 1000 });
      await factory.project({ path: 'lst/art', visibility: 'public' });
      await factory.project({ path: 'lst/docs/site' });
      await factory.project({ path: 'lstx' });
      await factory.linkedObject(engine.id, { size: 300 });
      await factory.linkedObject(engine.id, { size: 20 });

      const pages = await allPages(`/projects?prefix=${enc('lst/')}&limit=2`, 'projects');
      expect(pages.map((page) => page.map((project) => project.path))).toEqual([
        ['lst/art', 'lst/docs/site'],
        ['lst/engine'],
      ]);
      expect(pages[1]?.[0]).toEqual({
        id: engine.id,
        path: 'lst/engine',
        visibility: 'private',
        quota_bytes: 1000,
        created_at: expect.any(String),
        lfs_objects_count: 2,
        lfs_objects_size: 320,
      });
      const publicOnes = await admin.call('GET', `/projects?prefix=lst&visibility=public`);
      expect((publicOnes.body?.projects as { path: string }[]).map((project) => project.path)).toEqual([
        'lst/art',
      ]);
      expect((await admin.call('GET', '/projects?visibility=secret')).status).toBe(422);
    });
  });

  describe('GET /projects/{path}/members', () => {
    it('pages members in username order, filtered by role; 404 for an unknown project', async () => {
      for (const username of ['mem-c', 'mem-a', 'mem-b']) {
        await factory.user({ username });
      }
      const project = await factory.project({
        members: { 'mem-c': 'write', 'mem-a': 'read', 'mem-b': 'maintainer' },
      });
      const pages = await allPages(`/projects/${enc(project.path)}/members?limit=2`, 'members');
      expect(pages).toEqual([
        [
          { username: 'mem-a', role: 'read' },
          { username: 'mem-b', role: 'maintainer' },
        ],
        [{ username: 'mem-c', role: 'write' }],
      ]);
      const writers = await admin.call('GET', `/projects/${enc(project.path)}/members?role=write`);
      expect(writers.body).toEqual({ members: [{ username: 'mem-c', role: 'write' }], next_cursor: null });
      const missing = await admin.call('GET', `/projects/${enc('no/such')}/members`);
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ code: 'PROJECT_NOT_FOUND' });
    });
  });

  describe('locks', () => {
    it('pages every lock of a project, filtered by path and owner, and force-unlocks any of them', async () => {
      const alice = await factory.user({ username: 'lock-alice' });
      const bob = await factory.user({ username: 'lock-bob' });
      const project = await factory.project();
      const first = await factory.lock(project.id, alice.id, 'a.psd');
      await factory.lock(project.id, bob.id, 'b.psd');
      await factory.lock(project.id, alice.id, 'c.psd');
      const route = `/projects/${enc(project.path)}/locks`;

      const pages = await allPages(`${route}?limit=2`, 'locks');
      expect(pages.map((page) => page.map((lock) => lock.path))).toEqual([['a.psd', 'b.psd'], ['c.psd']]);
      expect(pages[0]?.[0]).toEqual({
        id: first.id,
        path: 'a.psd',
        locked_at: expect.any(String),
        owner: { name: 'lock-alice' },
      });
      const bobs = await admin.call('GET', `${route}?owner=lock-bob`);
      expect((bobs.body?.locks as { path: string }[]).map((lock) => lock.path)).toEqual(['b.psd']);
      const byPath = await admin.call('GET', `${route}?path=c.psd`);
      expect((byPath.body?.locks as { path: string }[]).map((lock) => lock.path)).toEqual(['c.psd']);

      const unlocked = await admin.call('DELETE', `${route}/${first.id}`);
      expect(unlocked.status).toBe(200);
      expect(unlocked.body).toEqual({ lock: pages[0]?.[0] });
      for (const id of [first.id, '123456789', 'abc']) {
        const again = await admin.call('DELETE', `${route}/${id}`);
        expect(again.status).toBe(404);
        expect(again.body).toMatchObject({ code: 'LOCK_NOT_FOUND' });
      }
      const noProject = await admin.call('DELETE', `/projects/${enc('no/such')}/locks/1`);
      expect(noProject.body).toMatchObject({ code: 'PROJECT_NOT_FOUND' });
    });
  });

  describe('GET /projects/{path}/objects', () => {
    it('pages with an opaque cursor and still takes the bare oid cursors of earlier versions', async () => {
      const project = await factory.project();
      const oids = [];
      for (let index = 0; index < 3; index += 1) {
        oids.push((await factory.linkedObject(project.id)).oid);
      }
      oids.sort();
      const route = `/projects/${enc(project.path)}/objects?limit=2`;
      const pages = await allPages(route, 'objects');
      expect(pages.map((page) => page.map((object) => object.oid))).toEqual([
        oids.slice(0, 2),
        oids.slice(2),
      ]);
      const legacy = await admin.call('GET', `${route}&cursor=${oids[1]}`);
      expect((legacy.body?.objects as { oid: string }[]).map((object) => object.oid)).toEqual([oids[2]]);
    });
  });

  describe('platform tokens', () => {
    it.each([
      ['GET', '/users'],
      ['PUT', '/users/x/password'],
      ['GET', '/projects'],
      ['GET', `/projects/${enc('a/b')}/members`],
      ['GET', `/projects/${enc('a/b')}/locks`],
      ['DELETE', `/projects/${enc('a/b')}/locks/1`],
      ['GET', '/audit'],
    ])('are refused with 403 on %s %s', async (method, route) => {
      const created = await admin.call('POST', '/platform-tokens', { name: `refused ${method} ${route}` });
      const platform = adminClient(api.url, String(created.body?.token));
      const answer = await platform.call(
        method,
        route,
        method === 'PUT' ? { password: 'whatever-123' } : undefined,
      );
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ code: 'FORBIDDEN' });
    });
  });
});
