import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DomainError } from '@lfs-depot/contracts';
import type { DataSource } from 'typeorm';

import { AccessCache } from '../../apps/api/src/cache/access-cache.js';
import { MemoryCache } from '../../apps/api/src/cache/memory.cache.js';
import { createDataSource, runMigrationsLocked } from '../../apps/api/src/database/data-source.js';
import { ObjectsRepository } from '../../apps/api/src/objects/objects.repository.js';
import { ProjectsRepository } from '../../apps/api/src/projects/projects.repository.js';
import { LinkCache } from '../../apps/api/src/cache/link-cache.js';
import { objectRow, randomOid, TestFactory } from '../helpers/factories.js';
import type { TestDatabase } from '../helpers/test-database.js';
import { createTestDatabase } from '../helpers/test-database.js';

describe(ObjectsRepository.name, () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let objects: ObjectsRepository;
  let projects: ProjectsRepository;
  let factory: TestFactory;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource(database.url, { poolSize: 25 });
    await dataSource.initialize();
    await runMigrationsLocked(dataSource);
    objects = new ObjectsRepository(dataSource, new LinkCache(new MemoryCache()));
    projects = new ProjectsRepository(dataSource, new AccessCache(new MemoryCache()));
    factory = TestFactory.forDataSource(dataSource);
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  describe('migrations', () => {
    it('returns no pending migration on a second run, even from two callers at once', async () => {
      expect(await Promise.all([runMigrationsLocked(dataSource), runMigrationsLocked(dataSource)])).toEqual([
        [],
        [],
      ]);
    });
  });

  describe('linkObjectToProject', () => {
    it('links once and counts once, however often it is called', async () => {
      const project = await factory.project();
      const object = objectRow({ size: 1000 });
      expect(await objects.linkObjectToProject(project.id, object, null)).toEqual({ linked: true });
      expect(await objects.linkObjectToProject(project.id, object, null)).toEqual({ linked: false });
      expect(await projects.getStatistics(project.id)).toEqual({ lfsObjectsCount: 1, lfsObjectsSize: 1000 });
    });

    it('stores one lfs_objects row for an object linked to two projects, counted in both', async () => {
      const [first, second] = [await factory.project(), await factory.project()];
      const object = objectRow({ size: 500 });
      await objects.linkObjectToProject(first.id, object, null);
      await objects.linkObjectToProject(second.id, object, null);
      const rows = await dataSource.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM lfs_objects WHERE oid = $1`,
        [object.oid],
      );
      expect(rows[0]?.n).toBe(1);
      expect(await projects.getStatistics(first.id)).toEqual({ lfsObjectsCount: 1, lfsObjectsSize: 500 });
      expect(await projects.getStatistics(second.id)).toEqual({ lfsObjectsCount: 1, lfsObjectsSize: 500 });
    });

    it('rejects with QUOTA_EXCEEDED and writes nothing when the object does not fit', async () => {
      const project = await factory.project({ quotaBytes: 1000 });
      await objects.linkObjectToProject(project.id, objectRow({ size: 600 }), 1000);
      const tooBig = objectRow({ size: 500 });
      await expect(objects.linkObjectToProject(project.id, tooBig, 1000)).rejects.toMatchObject({
        code: 'QUOTA_EXCEEDED',
      });
      expect(await projects.getStatistics(project.id)).toEqual({ lfsObjectsCount: 1, lfsObjectsSize: 600 });
      expect((await objects.findLinkedObjects(project.id, [tooBig.oid])).size).toBe(0);
    });

    it('keeps statistics exact under 20 concurrent links of one object', async () => {
      const project = await factory.project();
      const object = objectRow({ size: 123 });
      const results = await Promise.all(
        Array.from({ length: 20 }, () => objects.linkObjectToProject(project.id, object, null)),
      );
      expect(results.filter((r) => r.linked)).toHaveLength(1);
      expect(await projects.getStatistics(project.id)).toEqual({ lfsObjectsCount: 1, lfsObjectsSize: 123 });
    });

    it('never lets concurrent links overshoot the quota', async () => {
      const project = await factory.project({ quotaBytes: 1000 });
      const candidates = Array.from({ length: 20 }, () => objectRow({ size: 100 }));
      const results = await Promise.allSettled(
        candidates.map((object) => objects.linkObjectToProject(project.id, object, 1000)),
      );
      const fulfilled = results.filter((r) => r.status === 'fulfilled');
      const rejected = results.filter((r) => r.status === 'rejected');
      expect(fulfilled).toHaveLength(10);
      expect(rejected).toHaveLength(10);
      for (const result of rejected) {
        expect(result.status === 'rejected' && result.reason).toBeInstanceOf(DomainError);
      }
      expect(await projects.getStatistics(project.id)).toEqual({ lfsObjectsCount: 10, lfsObjectsSize: 1000 });
    });
  });

  describe('findLinkedObjects', () => {
    it('returns only objects the project links, never those of another project', async () => {
      const [mine, theirs] = [await factory.project(), await factory.project()];
      const shared = objectRow({ size: 10 });
      const secret = objectRow({ size: 20 });
      await objects.linkObjectToProject(mine.id, shared, null);
      await objects.linkObjectToProject(theirs.id, shared, null);
      await objects.linkObjectToProject(theirs.id, secret, null);
      const found = await objects.findLinkedObjects(mine.id, [shared.oid, secret.oid]);
      expect([...found.keys()]).toEqual([shared.oid]);
      expect(found.get(shared.oid)).toEqual(shared);
    });
  });

  describe('findLinkedSizes', () => {
    it('gives the sizes of the objects the project links, never those of another project', async () => {
      const [mine, theirs] = [await factory.project(), await factory.project()];
      const small = objectRow({ size: 7 });
      const large = objectRow({ size: 2 ** 40 }); // beyond int4: sizes come back as exact numbers
      const secret = objectRow({ size: 20 });
      for (const object of [small, large]) {
        await objects.linkObjectToProject(mine.id, object, null);
      }
      await objects.linkObjectToProject(theirs.id, secret, null);
      const unknown = randomOid();
      // Repeated past the five executions after which PostgreSQL may switch a prepared statement to a generic plan.
      for (let i = 0; i < 8; i += 1) {
        const found = await objects.findLinkedSizes(mine.id, [
          small.oid,
          secret.oid,
          large.oid,
          unknown,
          small.oid,
        ]);
        expect(found).toEqual(
          new Map([
            [small.oid, 7],
            [large.oid, 2 ** 40],
          ]),
        );
      }
      expect(await objects.findLinkedSizes(mine.id, [])).toEqual(new Map());
      expect(await objects.findLinkedSizes(theirs.id, [small.oid])).toEqual(new Map());
    });
  });

  describe('unlinkObjectFromProject', () => {
    it('removes the link and its share of the statistics, keeping other projects intact', async () => {
      const [first, second] = [await factory.project(), await factory.project()];
      const object = objectRow({ size: 300 });
      await objects.linkObjectToProject(first.id, object, null);
      await objects.linkObjectToProject(second.id, object, null);
      expect(await objects.unlinkObjectFromProject(first.id, object.oid)).toBe(true);
      expect(await objects.unlinkObjectFromProject(first.id, object.oid)).toBe(false);
      expect(await projects.getStatistics(first.id)).toEqual({ lfsObjectsCount: 0, lfsObjectsSize: 0 });
      expect(await projects.getStatistics(second.id)).toEqual({ lfsObjectsCount: 1, lfsObjectsSize: 300 });
    });
  });

  describe('listProjectObjects', () => {
    it('pages through every object in oid order', async () => {
      const project = await factory.project();
      const created = Array.from({ length: 5 }, () => objectRow({ size: 1 }));
      for (const object of created) {
        await objects.linkObjectToProject(project.id, object, null);
      }
      const first = await objects.listProjectObjects(project.id, 3);
      expect(first.objects).toHaveLength(3);
      const second = await objects.listProjectObjects(project.id, 3, first.nextCursor ?? undefined);
      expect(second.nextCursor).toBeNull();
      expect([...first.objects, ...second.objects].map((o) => o.oid)).toEqual(
        created.map((o) => o.oid).sort(),
      );
    });
  });

  describe('recordObject', () => {
    async function leftovers(oid: string): Promise<number> {
      const rows = await dataSource.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM lfs_object_leftovers WHERE oid = $1`,
        [oid],
      );
      return rows[0]?.n ?? -1;
    }

    async function rows(oid: string): Promise<{ state: string; unlinked: boolean }[]> {
      return dataSource.query<{ state: string; unlinked: boolean }[]>(
        `SELECT state, unlinked_at IS NOT NULL AS unlinked FROM lfs_objects WHERE oid = $1`,
        [oid],
      );
    }

    /** A recorded, unlinked object whose purge has begun (committed `purging`), as a collection leaves it. */
    async function purgingObject(): Promise<{ object: ReturnType<typeof objectRow>; id: string }> {
      const object = objectRow({ size: 300 });
      await objects.recordObject(object);
      const known = await objects.findObject(object.oid, object.size);
      const purging = await objects.markPurging(known?.id as string, new Date(Date.now() + 60_000));
      expect(purging?.oid).toBe(object.oid);
      return { object, id: known?.id as string };
    }

    it('records a row unlinked from now, once, for bytes no row names', async () => {
      const object = objectRow({ size: 200 });
      await objects.recordObject(object);
      await objects.recordObject(object);
      expect(await rows(object.oid)).toEqual([{ state: 'present', unlinked: true }]);
      expect(await leftovers(object.oid)).toBe(0);
    });

    it('records a leftover while the row is purging, which recordLeftovers makes a row once the purge is over', async () => {
      const { object, id } = await purgingObject();
      // A refused upload's bytes, perhaps written after the purge deleted its own.
      await objects.recordObject(object);
      await objects.recordObject(object);
      expect(await leftovers(object.oid)).toBe(1);
      expect(await objects.recordLeftovers()).toBe(0);
      expect(await leftovers(object.oid)).toBe(1);

      await objects.removePurgedObject(id);
      expect(await rows(object.oid)).toEqual([]);
      expect(await objects.recordLeftovers()).toBe(1);
      expect(await leftovers(object.oid)).toBe(0);
      expect(await rows(object.oid)).toEqual([{ state: 'present', unlinked: true }]);
      const candidates = await objects.findPurgeCandidates(new Date(Date.now() + 60_000), '0', 10_000);
      expect(candidates.map((candidate) => candidate.oid)).toContain(object.oid);
    });

    it('forgets a leftover whose bytes are gone without a row, when told which bytes are stored', async () => {
      const [kept, lost] = [await purgingObject(), await purgingObject()];
      for (const { object, id } of [kept, lost]) {
        await objects.recordObject(object);
        await objects.removePurgedObject(id);
      }
      const asked: string[] = [];

      const settled = await objects.recordLeftovers((key) => {
        asked.push(key);
        return Promise.resolve(key === kept.object.storageKey);
      });

      expect(settled).toBe(2);
      expect(asked.sort()).toEqual([kept.object.storageKey, lost.object.storageKey].sort());
      expect(await leftovers(kept.object.oid)).toBe(0);
      expect(await leftovers(lost.object.oid)).toBe(0);
      expect(await rows(kept.object.oid)).toEqual([{ state: 'present', unlinked: true }]);
      expect(await rows(lost.object.oid)).toEqual([]);
    });

    it('forgets a leftover whose object an upload linked after the purge, leaving that link alone', async () => {
      const { object, id } = await purgingObject();
      await objects.recordObject(object);
      await objects.removePurgedObject(id);
      const project = await factory.project();
      expect(await objects.linkObjectToProject(project.id, object, null)).toEqual({ linked: true });
      expect(await objects.recordLeftovers()).toBe(1);
      expect(await leftovers(object.oid)).toBe(0);
      expect(await rows(object.oid)).toEqual([{ state: 'present', unlinked: false }]);
      expect((await objects.findLinkedObjects(project.id, [object.oid])).size).toBe(1);
    });
  });

  describe('project deletion', () => {
    it('cascades to links and statistics but keeps the shared object row', async () => {
      const [doomed, survivor] = [await factory.project(), await factory.project()];
      const object = objectRow({ size: 42 });
      await objects.linkObjectToProject(doomed.id, object, null);
      await objects.linkObjectToProject(survivor.id, object, null);
      expect(await projects.deleteProject(doomed.id)).toBe(true);
      const links = await dataSource.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM lfs_objects_projects WHERE project_id = $1`,
        [doomed.id],
      );
      expect(links[0]?.n).toBe(0);
      const stats = await dataSource.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM project_statistics WHERE project_id = $1`,
        [doomed.id],
      );
      expect(stats[0]?.n).toBe(0);
      expect((await objects.findLinkedObjects(survivor.id, [object.oid])).size).toBe(1);
    });
  });
});
