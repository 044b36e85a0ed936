import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { oidOf } from '@lfs-depot/testing';

import type { ApiHarness } from '../helpers/api-harness.js';
import { adminClient, startApiHarness } from '../helpers/api-harness.js';
import { TestFactory } from '../helpers/factories.js';

describe('push check API', () => {
  let api: ApiHarness;
  let admin: ReturnType<typeof adminClient>;
  let projectId: string;
  let otherProjectId: string;
  let factory: TestFactory;
  const userIds: Record<string, string> = {};
  const route = `/projects/${encodeURIComponent('games/engine')}/push-check`;
  const linkedOid = oidOf('linked');
  const elsewhereOid = oidOf('linked to another project only');

  const check = (body: unknown, path = route) => admin.call('POST', path, body);

  async function lock(path: string, owner: string, project = projectId): Promise<string> {
    const rows = await api.dataSource.query<{ id: string }[]>(
      `INSERT INTO lfs_file_locks (project_id, path, user_id, ref_name) VALUES ($1, $2, $3, 'refs/heads/main')
       RETURNING id`,
      [project, path, userIds[owner]],
    );
    return rows[0]?.id ?? '';
  }

  beforeAll(async () => {
    api = await startApiHarness();
    admin = adminClient(api.url);
    factory = TestFactory.forApi(api);
    for (const username of ['alice', 'bob']) {
      userIds[username] = (await factory.user({ username })).id;
    }
    projectId = (await factory.project({ path: 'games/engine' })).id;
    otherProjectId = (await factory.project({ path: 'games/other' })).id;
    await factory.linkedObject(projectId, { oid: linkedOid, size: 10 });
    await factory.linkedObject(otherProjectId, { oid: elsewhereOid, size: 20 });
  });

  afterAll(async () => {
    await api.close();
  });

  describe('locks', () => {
    let lockId: string;
    beforeAll(async () => {
      lockId = await lock('art/hero.psd', 'alice');
      await lock('art/alice-other.psd', 'alice', otherProjectId);
      await lock('docs/bob.md', 'bob');
    });

    it('refuses a change to a path locked by someone else, naming the path, ref and owner', async () => {
      const result = await check({
        username: 'bob',
        changes: [
          { ref: 'refs/heads/main', paths: ['art/hero.psd', 'docs/bob.md', 'README.md'], pointers: [] },
        ],
      });
      expect(result.status).toBe(200);
      expect(result.headers.get('content-type')).toMatch(/^application\/json/);
      expect(result.body).toEqual({
        allowed: false,
        locked: [
          {
            path: 'art/hero.psd',
            ref: 'refs/heads/main',
            owner: 'alice',
            lock_id: lockId,
            locked_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          },
        ],
        missing: [],
        damaged: [],
      });
    });

    it("allows the lock owner's own changes", async () => {
      const result = await check({
        username: 'alice',
        changes: [{ ref: 'refs/heads/main', paths: ['art/hero.psd'], pointers: [] }],
      });
      expect(result.body).toEqual({ allowed: true, locked: [], missing: [], damaged: [] });
    });

    it('applies locks on every ref and reports each ref that changes the path once', async () => {
      const result = await check({
        username: 'bob',
        changes: [
          { ref: 'refs/heads/main', paths: ['art/hero.psd', 'art/hero.psd'], pointers: [] },
          { ref: 'refs/heads/feature', paths: ['art/hero.psd'] },
        ],
      });
      expect(result.body?.allowed).toBe(false);
      expect((result.body?.locked as { ref: string }[]).map((entry) => entry.ref)).toEqual([
        'refs/heads/main',
        'refs/heads/feature',
      ]);
    });

    it("ignores other projects' locks and matches paths exactly", async () => {
      const result = await check({
        username: 'bob',
        changes: [
          { ref: 'refs/heads/main', paths: ['art/alice-other.psd', 'Art/hero.psd', 'art/hero.psd.bak'] },
        ],
      });
      expect(result.body).toEqual({ allowed: true, locked: [], missing: [], damaged: [] });
    });
  });

  describe('pointers', () => {
    it('reports pointers whose object the project does not link, with their paths', async () => {
      const neverUploaded = oidOf('never uploaded');
      const result = await check({
        username: 'bob',
        changes: [
          {
            ref: 'refs/heads/main',
            paths: [],
            pointers: [
              { oid: linkedOid, size: 10 },
              { oid: neverUploaded, size: 5, paths: ['a.bin'] },
              { oid: elsewhereOid, size: 20 },
              { oid: linkedOid, size: 11 },
            ],
          },
          { ref: 'refs/heads/other', pointers: [{ oid: neverUploaded, size: 5, paths: ['b.bin'] }] },
        ],
      });
      expect(result.status).toBe(200);
      expect(result.body).toEqual({
        allowed: false,
        locked: [],
        missing: [
          { oid: neverUploaded, size: 5, paths: ['a.bin', 'b.bin'] },
          { oid: elsewhereOid, size: 20 },
          { oid: linkedOid, size: 11 },
        ],
        damaged: [],
      });
    });

    it('allows a push whose pointers are all linked, and an empty push', async () => {
      expect(
        (
          await check({
            username: 'bob',
            changes: [{ ref: 'refs/heads/main', pointers: [{ oid: linkedOid, size: 10 }] }],
          })
        ).body,
      ).toEqual({ allowed: true, locked: [], missing: [], damaged: [] });
      expect((await check({ username: 'bob', changes: [] })).body).toEqual({
        allowed: true,
        locked: [],
        missing: [],
        damaged: [],
      });
    });

    it('refuses a pointer to a damaged object, named apart from the missing ones, and allows it once healed', async () => {
      const damagedOid = oidOf('damaged by the disk');
      const neverUploaded = oidOf('never uploaded either');
      await factory.linkedObject(projectId, { oid: damagedOid, size: 30 });
      await api.dataSource.query(
        `UPDATE lfs_objects SET damaged_at = now(), damage = 'corrupt' WHERE oid = $1 AND size = 30`,
        [damagedOid],
      );
      const push = {
        username: 'bob',
        changes: [
          {
            ref: 'refs/heads/main',
            pointers: [
              { oid: damagedOid, size: 30, paths: ['art/broken.psd'] },
              { oid: damagedOid, size: 31 },
              { oid: neverUploaded, size: 5 },
              { oid: linkedOid, size: 10 },
            ],
          },
        ],
      };
      expect((await check(push)).body).toEqual({
        allowed: false,
        locked: [],
        missing: [
          { oid: damagedOid, size: 31 },
          { oid: neverUploaded, size: 5 },
        ],
        damaged: [{ oid: damagedOid, size: 30, paths: ['art/broken.psd'] }],
      });
      const again = {
        username: 'bob',
        changes: [{ ref: 'refs/heads/main', pointers: [{ oid: damagedOid, size: 30 }] }],
      };
      expect((await check(again)).body).toMatchObject({
        allowed: false,
        damaged: [{ oid: damagedOid, size: 30 }],
      });
      await api.dataSource.query(
        `UPDATE lfs_objects SET damaged_at = NULL, damage = NULL WHERE oid = $1 AND size = 30`,
        [damagedOid],
      );
      expect((await check(again)).body).toEqual({ allowed: true, locked: [], missing: [], damaged: [] });
    });
  });

  describe('errors', () => {
    it('answers 404 for an unknown project and for an unknown user', async () => {
      const project = await check(
        { username: 'bob', changes: [] },
        `/projects/${encodeURIComponent('games/nothing')}/push-check`,
      );
      expect(project.status).toBe(404);
      expect(project.body).toMatchObject({ code: 'PROJECT_NOT_FOUND', request_id: expect.any(String) });
      const user = await check({ username: 'mallory', changes: [] });
      expect(user.status).toBe(404);
      expect(user.body).toMatchObject({ code: 'USER_NOT_FOUND' });
    });

    it('answers 401 without the admin token or with a non-admin token', async () => {
      const anonymous = await fetch(`${api.url}/api/v1${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'bob', changes: [] }),
      });
      expect(anonymous.status).toBe(401);
      const token = (await admin.createToken('bob')).body?.token as string;
      const nonAdmin = await adminClient(api.url, token).call('POST', route, {
        username: 'bob',
        changes: [],
      });
      expect(nonAdmin.status).toBe(401);
    });

    it.each([
      ['not an object', []],
      ['no username', { changes: [] }],
      ['empty username', { username: '', changes: [] }],
      ['changes not an array', { username: 'bob', changes: {} }],
      ['change without ref', { username: 'bob', changes: [{ paths: [] }] }],
      ['paths not an array', { username: 'bob', changes: [{ ref: 'r', paths: 'a' }] }],
      ['a path that is not a string', { username: 'bob', changes: [{ ref: 'r', paths: [1] }] }],
      ['an empty path', { username: 'bob', changes: [{ ref: 'r', paths: [''] }] }],
      [
        'an uppercase oid',
        { username: 'bob', changes: [{ ref: 'r', pointers: [{ oid: linkedOid.toUpperCase(), size: 1 }] }] },
      ],
      ['a short oid', { username: 'bob', changes: [{ ref: 'r', pointers: [{ oid: 'abc', size: 1 }] }] }],
      [
        'a negative size',
        { username: 'bob', changes: [{ ref: 'r', pointers: [{ oid: linkedOid, size: -1 }] }] },
      ],
      [
        'a fractional size',
        { username: 'bob', changes: [{ ref: 'r', pointers: [{ oid: linkedOid, size: 1.5 }] }] },
      ],
      [
        'a size as a string',
        { username: 'bob', changes: [{ ref: 'r', pointers: [{ oid: linkedOid, size: '1' }] }] },
      ],
    ])('answers 422 to %s', async (_case, body) => {
      const result = await check(body);
      expect(result.status).toBe(422);
      expect(result.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.any(String) });
    });

    it('answers 422 to more than 10,000 paths or pointers in one call, counted across changes', async () => {
      const paths = Array.from({ length: 5001 }, (_, i) => `file-${i}`);
      const tooManyPaths = await check({
        username: 'bob',
        changes: [
          { ref: 'refs/heads/a', paths },
          { ref: 'refs/heads/b', paths },
        ],
      });
      expect(tooManyPaths.status).toBe(422);
      expect(tooManyPaths.body?.message).toContain('10000');
      const pointers = Array.from({ length: 10_001 }, () => ({ oid: linkedOid, size: 10 }));
      expect((await check({ username: 'bob', changes: [{ ref: 'refs/heads/a', pointers }] })).status).toBe(
        422,
      );
    });

    it('answers 400 to a body that is not JSON', async () => {
      const result = await fetch(`${api.url}/api/v1${route}`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer test-admin-token-0123456789abcdef',
          'content-type': 'application/json',
        },
        body: '{"username":',
      });
      expect(result.status).toBe(400);
    });
  });

  it('costs the same number of SQL statements for 1 and for 10,000 paths and pointers', async () => {
    await lock('big/locked-9999', 'alice');
    const body = (count: number) => ({
      username: 'bob',
      changes: [
        {
          ref: 'refs/heads/main',
          paths: Array.from({ length: count }, (_, i) => `big/locked-${9999 - i}`),
          pointers: Array.from({ length: count }, (_, i) => ({ oid: oidOf(`big ${i}`), size: i })),
        },
      ],
    });
    let small: Record<string, unknown> | undefined;
    let large: Record<string, unknown> | undefined;
    const one = await api.queries.during(async () => {
      small = (await check(body(1))).body;
    });
    const tenThousand = await api.queries.during(async () => {
      large = (await check(body(10_000))).body;
    });
    expect(one).toBeGreaterThan(0);
    expect(tenThousand).toBe(one);
    expect((small?.locked as unknown[]).length).toBe(1);
    expect((large?.locked as unknown[]).length).toBe(1);
    expect((large?.missing as unknown[]).length).toBe(10_000);
  });
});
