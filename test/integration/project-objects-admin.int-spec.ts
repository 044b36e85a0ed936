import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { oidOf } from '@lfs-depot/testing';

import type { ApiHarness } from '../helpers/api-harness.js';
import { adminClient, startApiHarness } from '../helpers/api-harness.js';
import { TestFactory } from '../helpers/factories.js';

describe('admin API: project objects', () => {
  let api: ApiHarness;
  let admin: ReturnType<typeof adminClient>;
  let factory: TestFactory;

  /** Creates a project and links `count` objects of sizes 10, 11, 12, … to it; returns their oids, sorted. */
  async function projectWithObjects(path: string, count: number, prefix = path): Promise<string[]> {
    const project = await factory.project({ path });
    const oids: string[] = [];
    for (let index = 0; index < count; index += 1) {
      const oid = oidOf(`${prefix}-${index}`);
      await factory.linkedObject(project.id, { oid, size: 10 + index });
      oids.push(oid);
    }
    return oids.sort();
  }

  const objectsUrl = (path: string, suffix = ''): string =>
    `/projects/${encodeURIComponent(path)}/objects${suffix}`;

  beforeAll(async () => {
    api = await startApiHarness();
    admin = adminClient(api.url);
    factory = TestFactory.forApi(api);
  });

  afterAll(async () => {
    await api.close();
  });

  describe('GET /projects/{path}/objects', () => {
    it('lists the objects a project links with size and link time', async () => {
      const [oid] = await projectWithObjects('list/one', 1);
      const result = await admin.call('GET', objectsUrl('list/one'));
      expect(result.status).toBe(200);
      expect(result.headers.get('content-type')).toMatch(/^application\/json/);
      expect(result.body).toEqual({
        objects: [{ oid, size: 10, created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }],
        next_cursor: null,
      });
    });

    it('pages through every object exactly once in oid order', async () => {
      const oids = await projectWithObjects('list/many', 7);
      // Objects of another project never show up.
      await projectWithObjects('list/neighbour', 3);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
        const result = await admin.call('GET', objectsUrl('list/many', query));
        expect(result.status).toBe(200);
        const page = result.body as { objects: { oid: string }[]; next_cursor: string | null };
        expect(page.objects.length).toBeLessThanOrEqual(3);
        seen.push(...page.objects.map((object) => object.oid));
        cursor = page.next_cursor;
        pages += 1;
      } while (cursor !== null);
      expect(pages).toBe(3);
      expect(seen).toEqual(oids);
    });

    it('answers an empty page for a project without objects', async () => {
      await admin.createProject('list/empty');
      const result = await admin.call('GET', objectsUrl('list/empty'));
      expect(result.status).toBe(200);
      expect(result.body).toEqual({ objects: [], next_cursor: null });
    });

    it('rejects a bad limit or cursor with 422', async () => {
      await admin.createProject('list/bad-query');
      for (const query of ['?limit=0', '?limit=1001', '?limit=abc', '?cursor=xyz', '?other=1']) {
        const result = await admin.call('GET', objectsUrl('list/bad-query', query));
        expect(result.status).toBe(422);
        expect(result.body).toMatchObject({ code: 'VALIDATION_FAILED', request_id: expect.any(String) });
      }
    });

    it('answers 404 for an unknown project and 401 without the admin token', async () => {
      const unknown = await admin.call('GET', objectsUrl('no/such'));
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ code: 'PROJECT_NOT_FOUND' });
      const anonymous = await fetch(`${api.url}/api/v1${objectsUrl('list/one')}`);
      expect(anonymous.status).toBe(401);
    });
  });

  describe('DELETE /projects/{path}/objects/{oid}', () => {
    it('unlinks the object and updates the statistics', async () => {
      const oids = await projectWithObjects('unlink/stats', 3);
      const before = await admin.statistics('unlink/stats');
      expect(before.body).toMatchObject({ lfs_objects_count: 3, lfs_objects_size: 10 + 11 + 12 });
      const size = (
        (await admin.call('GET', objectsUrl('unlink/stats'))).body as {
          objects: { oid: string; size: number }[];
        }
      ).objects.find((object) => object.oid === oids[0])?.size as number;

      const result = await admin.call('DELETE', objectsUrl('unlink/stats', `/${oids[0]}`));
      expect(result.status).toBe(200);
      // No bytes were stored for these rows; purging what nothing links is proven in gc.int-spec.ts.
      expect(result.body).toMatchObject({ oid: oids[0], unlinked_from: ['unlink/stats'] });
      expect((await admin.statistics('unlink/stats')).body).toMatchObject({
        lfs_objects_count: 2,
        lfs_objects_size: 10 + 11 + 12 - size,
      });
      const listed = (await admin.call('GET', objectsUrl('unlink/stats'))).body as {
        objects: { oid: string }[];
      };
      expect(listed.objects.map((object) => object.oid)).toEqual(oids.slice(1));
    });

    it('answers 404 when the project does not link the object, changing nothing', async () => {
      await projectWithObjects('unlink/owner', 1, 'shared');
      const [oid] = await projectWithObjects('unlink/other', 1, 'shared');
      const result = await admin.call('DELETE', objectsUrl('unlink/stats', `/${oid}`));
      expect(result.status).toBe(404);
      expect(result.body).toMatchObject({ code: 'OBJECT_NOT_FOUND', request_id: expect.any(String) });

      // Unlinking from one project leaves the object (and its row) to the other.
      expect((await admin.call('DELETE', objectsUrl('unlink/owner', `/${oid}`))).body).toEqual({
        oid,
        unlinked_from: ['unlink/owner'],
        purged: false,
        purged_size: 0,
      });
      expect((await admin.call('DELETE', objectsUrl('unlink/owner', `/${oid}`))).status).toBe(404);
      expect((await admin.statistics('unlink/owner')).body).toMatchObject({
        lfs_objects_count: 0,
        lfs_objects_size: 0,
      });
      expect((await admin.statistics('unlink/other')).body).toMatchObject({
        lfs_objects_count: 1,
        lfs_objects_size: 10,
      });
      const rows = await api.dataSource.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM lfs_objects WHERE oid = $1`,
        [oid],
      );
      expect(rows[0]?.n).toBe(1);
    });

    it('answers 404 for an unknown project and 422 for a malformed oid', async () => {
      const unknown = await admin.call('DELETE', objectsUrl('no/such', `/${oidOf('x')}`));
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ code: 'PROJECT_NOT_FOUND' });
      await admin.createProject('unlink/bad-oid');
      const malformed = await admin.call('DELETE', objectsUrl('unlink/bad-oid', '/not-an-oid'));
      expect(malformed.status).toBe(422);
      expect(malformed.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it('requires the admin token', async () => {
      const [oid] = await projectWithObjects('unlink/guarded', 1);
      const anonymous = await fetch(`${api.url}/api/v1${objectsUrl('unlink/guarded', `/${oid}`)}`, {
        method: 'DELETE',
      });
      expect(anonymous.status).toBe(401);
      expect((await admin.statistics('unlink/guarded')).body).toMatchObject({ lfs_objects_count: 1 });
    });
  });
});
