import { describe, expect, it } from '@jest/globals';
import { objectKey } from '@lfs-depot/storage';

import { alice, basic, json, request, testObject, useTransferStack } from '../helpers/transfer-stack.js';

// Uploads that race: one object, one row and exact statistics however many uploads of it run at once, and a quota no
// race can overshoot.
// Raw HTTP against the whole stack (proxy in front of the API, local disk).
describe('object transfers through the proxy (local disk storage)', () => {
  const t = useTransferStack([
    { path: 'race/one' },
    { path: 'race/two' },
    { path: 'race/three' },
    { path: 'race/quota', visibility: 'private', quota: 1000 },
  ]);

  describe('concurrent uploads', () => {
    it('links one object once when 20 uploads of it race into one project', async () => {
      const object = testObject(200_000);
      const { upload: action } = await t().uploadActions('race/one', object);
      const answers = await Promise.all(Array.from({ length: 20 }, () => t().put(action, object.data)));
      expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
      expect(await t().objectRows(object.oid)).toBe(1);
      expect((await t().admin.statistics('race/one')).body).toEqual({
        lfs_objects_count: 1,
        lfs_objects_size: object.size,
        quota_bytes: null,
      });
      expect(await t().stack.api.storage.stat(objectKey(object.oid))).toEqual({ size: object.size });
      expect(await t().tempFiles()).toEqual([]);
    });

    it('stores one object and links it to both when 20 uploads race into two projects', async () => {
      const object = testObject(150_000);
      const [first, second] = await Promise.all([
        t().uploadActions('race/two', object),
        t().uploadActions('race/three', object),
      ]);
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, index) => t().put((index % 2 ? first : second).upload, object.data)),
      );
      expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
      expect(await t().objectRows(object.oid)).toBe(1);
      const links = await t().stack.api.dataSource.query<{ project_id: string }[]>(
        `SELECT l.project_id FROM lfs_objects_projects l JOIN lfs_objects o ON o.id = l.lfs_object_id
          WHERE o.oid = $1 ORDER BY l.project_id`,
        [object.oid],
      );
      expect(links.map((link) => link.project_id).sort()).toEqual(
        [t().projectIds.get('race/two'), t().projectIds.get('race/three')].sort(),
      );
      for (const project of ['race/two', 'race/three']) {
        expect((await t().admin.statistics(project)).body).toEqual({
          lfs_objects_count: 1,
          lfs_objects_size: object.size,
          quota_bytes: null,
        });
      }
    });

    it('lets exactly as many racing uploads in as the quota holds and refuses the rest with 507', async () => {
      const objects = Array.from({ length: 20 }, () => testObject(100));
      // One batch per object, all before any upload: nothing is linked yet, so every batch passes its quota check.
      const actions = await Promise.all(objects.map((object) => t().uploadActions('race/quota', object)));
      const answers = await Promise.all(
        objects.map((object, index) => t().put(actions[index].upload, object.data)),
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
      expect((await t().admin.statistics('race/quota')).body).toEqual({
        lfs_objects_count: 10,
        lfs_objects_size: 1000,
        quota_bytes: 1000,
      });
      const accepted = objects.filter((_, index) => answers[index]?.status === 200);
      const refused = objects.filter((_, index) => answers[index]?.status === 507);
      for (const object of accepted) {
        expect(await t().objectRows(object.oid)).toBe(1);
      }
      // Refusals at finalize come after the bytes were verified and written (here usually all ten): they are
      // recorded in lfs_objects but linked to no project, so garbage collection can find them and nothing can
      // download them.
      for (const object of refused) {
        const links = await t().stack.api.dataSource.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM lfs_objects_projects l JOIN lfs_objects o ON o.id = l.lfs_object_id
            WHERE o.oid = $1`,
          [object.oid],
        );
        expect(links[0]?.n).toBe(0);
        expect(await t().objectRows(object.oid)).toBeLessThanOrEqual(1);
      }
      for (const object of refused) {
        const answer = await request(t().lfs('race/quota', `objects/${object.oid}`), {
          method: 'GET',
          headers: { authorization: basic(alice.username, alice.password) },
        });
        expect(answer.status).toBe(404);
      }
    });
  });
});
