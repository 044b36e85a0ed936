import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatBasicAuthorization } from '@lfs-depot/auth';
import { eventually } from '@lfs-depot/testing';

import { AccessCache } from '../../apps/api/src/cache/access-cache.js';
import type { ApiHarness } from '../helpers/api-harness.js';
import { adminClient, describeWithSecondInstance, startApiHarness } from '../helpers/api-harness.js';

const LFS = 'application/vnd.git-lfs+json';

/** Status of a download batch of nothing: enough to tell whether the credentials still reach the project. */
async function batchStatus(api: ApiHarness, project: string, auth?: string): Promise<number> {
  const response = await fetch(`${api.url}/${project}.git/info/lfs/objects/batch`, {
    method: 'POST',
    headers: { accept: LFS, 'content-type': LFS, ...(auth ? { authorization: auth } : {}) },
    body: JSON.stringify({ operation: 'download', objects: [] }),
  });
  await response.arrayBuffer();
  return response.status;
}

// The access memo saves each LFS request its token and role lookups; these prove it never outlives a change.
describe('remembered sign-ins and roles follow every change at once', () => {
  let api: ApiHarness;
  let admin: ReturnType<typeof adminClient>;

  beforeAll(async () => {
    api = await startApiHarness();
    admin = adminClient(api.url);
    await admin.createProject('team/private');
    await admin.createProject('team/public', 'public');
  });

  afterAll(async () => {
    await api.close();
  });

  async function userWithToken(username: string, role?: string): Promise<string> {
    await admin.createUser(username, `${username}-password`);
    if (role) {
      await admin.setMember('team/private', username, role);
    }
    const token = (await admin.createToken(username, 'ci')).body?.token as string;
    return formatBasicAuthorization(username, token);
  }

  it('serves repeated requests from memory: one statement per batch once token and role are known', async () => {
    const auth = await userWithToken('warm', 'read');
    expect(await batchStatus(api, 'team/private', auth)).toBe(200);
    const objects = [{ oid: 'a'.repeat(64), size: 1 }];
    const statements = await api.queries.during(async () => {
      const response = await fetch(`${api.url}/team/private.git/info/lfs/objects/batch`, {
        method: 'POST',
        headers: { accept: LFS, 'content-type': LFS, authorization: auth },
        body: JSON.stringify({ operation: 'download', objects }),
      });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    });
    expect(statements).toBe(1);
    expect(api.app.get(AccessCache).size).toBeGreaterThan(0);
  });

  it('refuses a token that was just working as soon as it is revoked', async () => {
    const auth = await userWithToken('revoked', 'read');
    const tokens = await admin.call('GET', '/users/revoked/tokens');
    expect(await batchStatus(api, 'team/private', auth)).toBe(200);
    const id = String((tokens.body as unknown as { id: string }[])[0]?.id);
    expect((await admin.call('DELETE', `/users/revoked/tokens/${id}`)).status).toBe(204);
    expect(await batchStatus(api, 'team/private', auth)).toBe(401);
  });

  it('refuses a deleted user at once', async () => {
    const auth = await userWithToken('deleted', 'read');
    expect(await batchStatus(api, 'team/private', auth)).toBe(200);
    expect((await admin.call('DELETE', '/users/deleted')).status).toBe(204);
    expect(await batchStatus(api, 'team/private', auth)).toBe(401);
  });

  it('applies a removed membership and a changed role at once', async () => {
    const auth = await userWithToken('member', 'write');
    const upload = async (): Promise<number> => {
      const response = await fetch(`${api.url}/team/private.git/info/lfs/objects/batch`, {
        method: 'POST',
        headers: { accept: LFS, 'content-type': LFS, authorization: auth },
        body: JSON.stringify({ operation: 'upload', objects: [{ oid: 'b'.repeat(64), size: 1 }] }),
      });
      await response.arrayBuffer();
      return response.status;
    };
    expect(await upload()).toBe(200);
    await admin.setMember('team/private', 'member', 'read');
    expect(await upload()).toBe(403);
    expect(await batchStatus(api, 'team/private', auth)).toBe(200);
    await admin.call('DELETE', `/projects/${encodeURIComponent('team/private')}/members/member`);
    expect(await batchStatus(api, 'team/private', auth)).toBe(404);
  });

  it('stops anonymous reads as soon as a public project is made private', async () => {
    expect(await batchStatus(api, 'team/public')).toBe(200);
    await admin.call('PATCH', `/projects/${encodeURIComponent('team/public')}`, { visibility: 'private' });
    expect(await batchStatus(api, 'team/public')).toBe(401);
  });

  describeWithSecondInstance(
    () => api,
    (second) => {
      it('a revocation made through one instance reaches the memo of the other', async () => {
        const auth = await userWithToken('roaming', 'read');
        expect(await batchStatus(second(), 'team/private', auth)).toBe(200);
        expect(await batchStatus(second(), 'team/private', auth)).toBe(200); // now remembered there
        expect(second().app.get(AccessCache).size).toBeGreaterThan(0);
        await admin.call('DELETE', `/projects/${encodeURIComponent('team/private')}/members/roaming`);
        await eventually(async () => (await batchStatus(second(), 'team/private', auth)) === 404).catch(
          () => undefined,
        );
        expect(await batchStatus(second(), 'team/private', auth)).toBe(404);
      });
    },
  );
});
