import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';

import { hashToken } from '../../apps/api/src/auth/token-hash.js';
import { AccessCache } from '../../apps/api/src/cache/access-cache.js';
import { MemoryCache } from '../../apps/api/src/cache/memory.cache.js';
import { createDataSource, runMigrationsLocked } from '../../apps/api/src/database/data-source.js';
import { ProjectsRepository } from '../../apps/api/src/projects/projects.repository.js';
import { UsersRepository } from '../../apps/api/src/users/users.repository.js';
import { TestFactory } from '../helpers/factories.js';
import type { TestDatabase } from '../helpers/test-database.js';
import { createTestDatabase } from '../helpers/test-database.js';

describe('users and projects repositories', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let users: UsersRepository;
  let projects: ProjectsRepository;

  async function count(sql: string, parameters: unknown[] = []): Promise<number> {
    return (await dataSource.query<{ n: number }[]>(sql, parameters))[0]?.n ?? -1;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource(database.url, { poolSize: 5 });
    await dataSource.initialize();
    await runMigrationsLocked(dataSource);
    users = new UsersRepository(dataSource, new AccessCache(new MemoryCache()));
    projects = new ProjectsRepository(dataSource, new AccessCache(new MemoryCache()));
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  describe(UsersRepository.name, () => {
    it('returns undefined instead of a second user with a taken username', async () => {
      expect(await users.createUser({ username: 'u1', passwordHash: null, admin: false })).toMatchObject({
        username: 'u1',
      });
      expect(await users.createUser({ username: 'u1', passwordHash: 'x', admin: true })).toBeUndefined();
    });

    it('finds a token and its owner by hash, and marks it revoked', async () => {
      const user = await users.createUser({ username: 'u2', passwordHash: null, admin: false });
      const token = await users.createToken({
        userId: user!.id,
        name: 't',
        tokenHash: hashToken('lfsd_secret-u2'),
        expiresAt: null,
      });
      const found = await users.findTokenByHash(hashToken('lfsd_secret-u2'));
      expect(found?.user.username).toBe('u2');
      expect(found?.token.revokedAt).toBeNull();
      expect(await users.revokeToken(user!.id, token.id)).toBe(true);
      expect((await users.findTokenByHash(hashToken('lfsd_secret-u2')))?.token.revokedAt).toBeInstanceOf(
        Date,
      );
      expect(await users.findTokenByHash(hashToken('lfsd_unknown'))).toBeUndefined();
    });

    it('refuses to revoke another user’s token', async () => {
      const owner = await users.createUser({ username: 'u3', passwordHash: null, admin: false });
      const other = await users.createUser({ username: 'u4', passwordHash: null, admin: false });
      const token = await users.createToken({
        userId: owner!.id,
        name: 't',
        tokenHash: hashToken('lfsd_u3'),
        expiresAt: null,
      });
      expect(await users.revokeToken(other!.id, token.id)).toBe(false);
    });

    it('records last use at most once a minute', async () => {
      const user = await users.createUser({ username: 'u5', passwordHash: null, admin: false });
      const token = await users.createToken({
        userId: user!.id,
        name: 't',
        tokenHash: hashToken('lfsd_u5'),
        expiresAt: null,
      });
      await users.touchToken(token.id);
      const first = (await users.findTokenByHash(hashToken('lfsd_u5')))?.token.lastUsedAt;
      await users.touchToken(token.id);
      expect((await users.findTokenByHash(hashToken('lfsd_u5')))?.token.lastUsedAt).toEqual(first);
      expect(first).toBeInstanceOf(Date);
    });

    it('deletes a user with their tokens and memberships', async () => {
      const user = await users.createUser({ username: 'u6', passwordHash: null, admin: false });
      await users.createToken({
        userId: user!.id,
        name: 't',
        tokenHash: hashToken('lfsd_u6'),
        expiresAt: null,
      });
      await TestFactory.forDataSource(dataSource).project({ members: { u6: 'write' } });
      expect(await users.deleteUser(user!.id)).toBe(true);
      expect(await count('SELECT count(*)::int AS n FROM access_tokens WHERE user_id = $1', [user!.id])).toBe(
        0,
      );
      expect(
        await count('SELECT count(*)::int AS n FROM project_members WHERE user_id = $1', [user!.id]),
      ).toBe(0);
    });
  });

  describe(ProjectsRepository.name, () => {
    it('creates a project with zeroed statistics and refuses a taken path', async () => {
      const project = await projects.createProject({ path: 'a/b/c', visibility: 'public', quotaBytes: 10 });
      expect(project).toMatchObject({ path: 'a/b/c', visibility: 'public', quotaBytes: 10 });
      expect(await projects.getStatistics(project!.id)).toEqual({ lfsObjectsCount: 0, lfsObjectsSize: 0 });
      expect(
        await projects.createProject({ path: 'a/b/c', visibility: 'private', quotaBytes: null }),
      ).toBeUndefined();
    });

    it('keeps one membership per user and project, the last role winning', async () => {
      const user = await users.createUser({ username: 'm1', passwordHash: null, admin: false });
      const project = await projects.createProject({
        path: 'members/one',
        visibility: 'private',
        quotaBytes: null,
      });
      await projects.setMember(project!.id, user!.id, 'read');
      await projects.setMember(project!.id, user!.id, 'maintainer');
      expect(await projects.listMembers(project!.id)).toEqual([{ username: 'm1', role: 'maintainer' }]);
      expect(await projects.findProjectWithRole('members/one', user!.id)).toMatchObject({
        role: 'maintainer',
      });
      expect(await projects.removeMember(project!.id, user!.id)).toBe(true);
      expect(await projects.findProjectWithRole('members/one', user!.id)).toMatchObject({ role: null });
      expect(await projects.findProjectWithRole('members/none', user!.id)).toBeUndefined();
    });

    it('updates visibility and quota, and clears the quota with null', async () => {
      const project = await projects.createProject({ path: 'upd/one', visibility: 'private', quotaBytes: 5 });
      expect(
        await projects.updateProject(project!.id, { visibility: 'public', quotaBytes: null }),
      ).toMatchObject({
        visibility: 'public',
        quotaBytes: null,
      });
    });

    it('rejects a negative quota at the database level too', async () => {
      await expect(
        projects.createProject({ path: 'neg/quota', visibility: 'private', quotaBytes: -1 }),
      ).rejects.toMatchObject({
        name: 'QueryFailedError',
        driverError: { code: '23514', table: 'projects', constraint: 'projects_quota_bytes_check' },
      });
      expect(await projects.findProjectByPath('neg/quota')).toBeNull();
    });

    it('returns sizes beyond 32 bits exactly', async () => {
      const project = await projects.createProject({
        path: 'big/quota',
        visibility: 'private',
        quotaBytes: 5 * 1024 ** 4,
      });
      expect((await projects.findProjectByPath('big/quota'))?.quotaBytes).toBe(5 * 1024 ** 4);
      expect(project?.quotaBytes).toBe(5 * 1024 ** 4);
    });
  });
});
