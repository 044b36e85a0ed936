import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import type { ApiHarness } from '../helpers/api-harness.js';
import { adminClient, clientAddressHeader, startApiHarness } from '../helpers/api-harness.js';
import { TestFactory } from '../helpers/factories.js';

const enc = encodeURIComponent;

describe('audit trail', () => {
  let api: ApiHarness;
  /** Every call says (signed, as the proxy does) it came from 203.0.113.9. */
  let admin: ReturnType<typeof adminClient>;
  let factory: TestFactory;

  beforeAll(async () => {
    api = await startApiHarness();
    admin = adminClient(api.url, undefined, '203.0.113.9');
    factory = TestFactory.forApi(api);
  });

  afterAll(async () => {
    await api.close();
  });

  async function events(query: string): Promise<Record<string, unknown>[]> {
    const answer = await admin.call('GET', `/audit?${query}`);
    expect(answer.status).toBe(200);
    return answer.body?.events as Record<string, unknown>[];
  }

  it('records each admin change with who, what, when, from where and the request id', async () => {
    const created = await admin.createUser('aud-alice', 'password-alice', false);
    const event = (await events('action=user.create&limit=1'))[0];
    expect(event).toEqual({
      id: expect.any(String),
      created_at: expect.any(String),
      actor: { type: 'admin_token', id: null, name: 'admin' },
      action: 'user.create',
      target: { type: 'user', id: created.body?.id, name: 'aud-alice' },
      project: null,
      details: { admin: false, password: true },
      client_address: '203.0.113.9',
      request_id: created.headers.get('x-request-id'),
    });
    expect(Date.parse(String(event?.created_at))).toBeGreaterThan(Date.now() - 60_000);
  });

  it('records every kind of change, newest first, filtered by project', async () => {
    await factory.user({ username: 'aud-bob' });
    const path = 'aud/engine';
    await admin.createProject(path, 'private', 100);
    await admin.call('PATCH', `/projects/${enc(path)}`, { quota_bytes: 200 });
    await admin.setMember(path, 'aud-bob', 'write');
    await admin.setMember(path, 'aud-bob', 'maintainer');
    await admin.call('DELETE', `/projects/${enc(path)}/members/aud-bob`);
    const project = await api.dataSource.query<{ id: string }[]>('SELECT id FROM projects WHERE path = $1', [
      path,
    ]);
    const object = await factory.linkedObject(String(project[0]?.id));
    await admin.call('DELETE', `/projects/${enc(path)}/objects/${object.oid}`);
    await admin.call('DELETE', `/projects/${enc(path)}`);

    const trail = await events(`project=${enc(path)}`);
    expect(trail.map((event) => [event.action, event.details])).toEqual([
      ['project.delete', {}],
      ['object.delete', { oid: object.oid, size: object.size, unlinked: true }],
      ['member.remove', {}],
      ['member.set', { role: 'maintainer', previous_role: 'write' }],
      ['member.set', { role: 'write', previous_role: null }],
      ['project.update', { quota_bytes: 200, previous_quota_bytes: 100 }],
      ['project.create', { visibility: 'private', quota_bytes: 100 }],
    ]);
    expect(trail[1]?.target).toEqual({ type: 'object', id: null, name: object.oid });
    expect(trail[2]?.target).toEqual({ type: 'member', id: expect.any(String), name: 'aud-bob' });
  });

  it('records token, password, platform token and user changes with their targets', async () => {
    await factory.user({ username: 'aud-carol' });
    const token = await admin.createToken('aud-carol', 'laptop');
    await admin.call('DELETE', `/users/aud-carol/tokens/${String(token.body?.id)}`);
    await admin.call('PUT', '/users/aud-carol/password', { password: 'carol-password' });
    const platform = await admin.call('POST', '/platform-tokens', { name: 'aud-hooks', projects: ['a/b'] });
    await admin.call('DELETE', `/platform-tokens/${String(platform.body?.id)}`);
    await admin.call('DELETE', '/users/aud-carol');

    const trail = await events('actor=admin&limit=6');
    expect(trail.map((event) => [event.action, event.target, event.details])).toEqual([
      ['user.delete', { type: 'user', id: expect.any(String), name: 'aud-carol' }, {}],
      ['platform_token.revoke', { type: 'platform_token', id: platform.body?.id, name: 'aud-hooks' }, {}],
      [
        'platform_token.create',
        { type: 'platform_token', id: platform.body?.id, name: 'aud-hooks' },
        { projects: ['a/b'] },
      ],
      [
        'user.password_change',
        { type: 'user', id: expect.any(String), name: 'aud-carol' },
        { password: true },
      ],
      ['token.revoke', { type: 'token', id: token.body?.id, name: 'laptop' }, { user: 'aud-carol' }],
      [
        'token.create',
        { type: 'token', id: token.body?.id, name: 'laptop' },
        { user: 'aud-carol', expires_at: null },
      ],
    ]);
    expect(JSON.stringify(trail)).not.toContain(String(token.body?.token));
    expect(JSON.stringify(trail)).not.toContain('carol-password');
  });

  it('names an admin user acting with their own token', async () => {
    await admin.createUser('aud-root', 'password-root', true);
    const rootToken = String((await admin.createToken('aud-root', 'cli')).body?.token);
    await adminClient(api.url, rootToken).createUser('aud-made-by-root');
    const [event] = await events('action=user.create&limit=1');
    expect(event).toMatchObject({
      actor: { type: 'user', id: expect.any(String), name: 'aud-root' },
      target: { name: 'aud-made-by-root' },
    });
    expect(await events('actor=aud-root&actor_type=admin_token')).toEqual([]);
  });

  it('records nothing for a change that is refused', async () => {
    const before = await events('limit=1');
    await admin.createUser('aud-dup');
    const afterCreate = await events('limit=1');
    expect((await admin.createUser('aud-dup')).status).toBe(409);
    expect((await admin.call('DELETE', '/users/aud-nobody')).status).toBe(404);
    expect((await admin.call('DELETE', `/projects/${enc('aud/none')}/members/aud-dup`)).status).toBe(404);
    expect(await events('limit=1')).toEqual(afterCreate);
    expect(afterCreate).not.toEqual(before);
  });

  it('records force-unlocks from the admin API and a maintainer’s git lfs unlock --force, not an owner’s own unlock', async () => {
    const owner = await factory.user({ username: 'aud-owner' });
    await factory.user({ username: 'aud-maint', password: 'maint-password' });
    const project = await factory.project({ members: { 'aud-owner': 'write', 'aud-maint': 'maintainer' } });
    const byAdmin = await factory.lock(project.id, owner.id, 'x.psd');
    const byMaintainer = await factory.lock(project.id, owner.id, 'y.psd');
    await factory.lock(project.id, owner.id, 'z.psd');

    expect((await admin.call('DELETE', `/projects/${enc(project.path)}/locks/${byAdmin.id}`)).status).toBe(
      200,
    );
    const unlock = await fetch(`${api.url}/${project.path}.git/info/lfs/locks/${byMaintainer.id}/unlock`, {
      method: 'POST',
      headers: {
        accept: 'application/vnd.git-lfs+json',
        'content-type': 'application/vnd.git-lfs+json',
        authorization: `Basic ${Buffer.from('aud-maint:maint-password').toString('base64')}`,
        ...clientAddressHeader('198.51.100.77'),
      },
      body: JSON.stringify({ force: true }),
    });
    expect(unlock.status).toBe(200);

    const trail = await events(`project=${enc(project.path)}&action=lock.force_unlock`);
    expect(trail).toEqual([
      expect.objectContaining({
        actor: { type: 'user', id: expect.any(String), name: 'aud-maint' },
        target: { type: 'lock', id: byMaintainer.id, name: 'y.psd' },
        details: { owner: 'aud-owner' },
        client_address: '198.51.100.77',
        request_id: unlock.headers.get('x-request-id'),
      }),
      expect.objectContaining({
        actor: { type: 'admin_token', id: null, name: 'admin' },
        target: { type: 'lock', id: byAdmin.id, name: 'x.psd' },
        client_address: '203.0.113.9',
      }),
    ]);
  });

  it('pages newest first with a cursor that new events do not disturb, and filters by time', async () => {
    for (const name of ['pg-1', 'pg-2', 'pg-3']) {
      await admin.createProject(`aud-page/${name}`);
    }
    const first = await admin.call('GET', '/audit?action=project.create&limit=2');
    const firstPage = first.body?.events as { target: { name: string } }[];
    expect(firstPage.map((event) => event.target.name)).toEqual(['aud-page/pg-3', 'aud-page/pg-2']);
    await admin.createProject('aud-page/pg-4');
    const second = await admin.call(
      'GET',
      `/audit?action=project.create&limit=2&cursor=${enc(String(first.body?.next_cursor))}`,
    );
    expect((second.body?.events as { target: { name: string } }[])[0]?.target.name).toBe('aud-page/pg-1');

    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(await events(`since=${enc(future)}`)).toEqual([]);
    expect(
      (await events(`since=${enc(new Date(Date.now() - 3_600_000).toISOString())}&limit=1`)).length,
    ).toBe(1);
  });

  it.each([
    ['action=user.explode', 'action'],
    ['actor_type=robot', 'actor_type'],
    ['since=yesterday', 'since'],
    ['limit=0', 'limit'],
    ['cursor=eyJ4IjoxfQ', 'cursor'],
    ['colour=red', 'colour'],
  ])('answers ?%s with 422 naming %s', async (query, field) => {
    const answer = await admin.call('GET', `/audit?${query}`);
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(String(answer.body?.message)).toContain(field);
  });
});
