import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';

import { requestAuditContext, systemAuditContext } from '../../apps/api/src/audit/audit-context.js';
import { AuditService } from '../../apps/api/src/audit/audit.service.js';
import { AccessCache } from '../../apps/api/src/cache/access-cache.js';
import { MemoryCache } from '../../apps/api/src/cache/memory.cache.js';
import { BOOTSTRAP_ADMIN } from '../../apps/api/src/core/principal.js';
import { createDataSource, runMigrationsLocked } from '../../apps/api/src/database/data-source.js';
import { UsersRepository } from '../../apps/api/src/users/users.repository.js';
import type { TestDatabase } from '../helpers/test-database.js';
import { createTestDatabase } from '../helpers/test-database.js';

describe(AuditService.name, () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let audit: AuditService;
  let users: UsersRepository;
  const admin = requestAuditContext(BOOTSTRAP_ADMIN, '203.0.113.7', 'req-1');

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource(database.url, { poolSize: 5 });
    await dataSource.initialize();
    await runMigrationsLocked(dataSource);
    audit = new AuditService(dataSource);
    users = new UsersRepository(dataSource, new AccessCache(new MemoryCache()));
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('commits an event with the change it records', async () => {
    await audit.transaction(async (tx) => {
      const user = await users.createUser({ username: 'kept', passwordHash: null, admin: false }, tx);
      await audit.record(tx, admin, {
        action: 'user.create',
        target: { type: 'user', id: user!.id, name: 'kept' },
        details: { admin: false },
      });
    });
    expect(await audit.list({ actor: 'admin', limit: 10 })).toEqual([
      {
        id: expect.any(String),
        created_at: expect.any(String),
        actor: { type: 'admin_token', id: null, name: 'admin' },
        action: 'user.create',
        target: { type: 'user', id: expect.any(String), name: 'kept' },
        project: null,
        details: { admin: false },
        client_address: '203.0.113.7',
        request_id: 'req-1',
      },
    ]);
  });

  it('rolls the event back with a change that fails, and the change with an event that fails', async () => {
    await expect(
      audit.transaction(async (tx) => {
        await audit.record(tx, admin, {
          action: 'user.create',
          target: { type: 'user', id: null, name: 'lost' },
        });
        await users.createUser({ username: 'lost', passwordHash: null, admin: false }, tx);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await expect(
      audit.transaction(async (tx) => {
        await users.createUser({ username: 'lost-too', passwordHash: null, admin: false }, tx);
        await audit.record(tx, admin, {
          action: 'user.create',
          target: { type: 'user', id: null, name: 'x'.repeat(10) },
          // jsonb refuses a NUL character: the insert fails, and with it the user.
          details: { broken: '\u0000' },
        });
      }),
    ).rejects.toThrow(/unsupported Unicode escape sequence|\\u0000/);
    expect(await users.findUserByUsername('lost')).toBeNull();
    expect(await users.findUserByUsername('lost-too')).toBeNull();
    expect((await audit.list({ limit: 100 })).map((event) => event.target.name)).not.toContain('lost');
  });

  it('accepts the EntityManager of a transaction the caller opened itself, with a system actor', async () => {
    await dataSource.transaction(async (manager) => {
      await audit.record(manager, systemAuditContext('gc'), {
        action: 'gc.purge',
        target: { type: 'object', id: null, name: 'a'.repeat(64) },
        details: { size: 5 },
      });
    });
    expect(await audit.list({ actorType: 'system', limit: 10 })).toEqual([
      expect.objectContaining({
        actor: { type: 'system', id: null, name: 'gc' },
        action: 'gc.purge',
        client_address: null,
        request_id: null,
      }),
    ]);
  });

  it('refuses to record outside a transaction', async () => {
    await expect(
      audit.record(dataSource.manager, admin, {
        action: 'user.delete',
        target: { type: 'user', id: null, name: 'nobody' },
      }),
    ).rejects.toThrow('AuditService.record must run inside the transaction of the change it records');
  });

  it('filters by project, actor, action and time, newest first, and pages before an id', async () => {
    const alice = requestAuditContext(
      { userId: '42', username: 'alice', admin: true, tokenProjectId: null, maxRole: null },
      '198.51.100.1',
      'req-alice',
    );
    await audit.transaction(async (tx) => {
      for (const name of ['one', 'two', 'three']) {
        await audit.record(tx, alice, {
          action: 'project.create',
          target: { type: 'project', id: null, name: `filter/${name}` },
          project: `filter/${name}`,
        });
      }
    });
    const byAlice = await audit.list({ actor: 'alice', limit: 10 });
    expect(byAlice.map((event) => event.project)).toEqual(['filter/three', 'filter/two', 'filter/one']);
    expect(await audit.list({ project: 'filter/two', limit: 10 })).toHaveLength(1);
    expect(await audit.list({ action: 'project.create', actor: 'admin', limit: 10 })).toEqual([]);
    expect(await audit.list({ since: new Date(Date.now() + 60_000), limit: 10 })).toEqual([]);
    const older = await audit.list({ actor: 'alice', beforeId: byAlice[1]?.id, limit: 10 });
    expect(older.map((event) => event.project)).toEqual(['filter/one']);
  });
});
