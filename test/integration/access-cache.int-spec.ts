import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatBasicAuthorization } from '@lfs-depot/auth';
import { eventually } from '@lfs-depot/testing';

import { TransferTokenService } from '../../apps/api/src/auth/transfer-token.service.js';
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

/** The Basic credential of an upload batch's actions: a transfer token minted from `auth`. */
async function transferCredential(
  api: ApiHarness,
  project: string,
  auth: string,
): Promise<{ auth: string; expiresIn: number }> {
  const response = await fetch(`${api.url}/${project}.git/info/lfs/objects/batch`, {
    method: 'POST',
    headers: { accept: LFS, 'content-type': LFS, authorization: auth },
    body: JSON.stringify({ operation: 'upload', objects: [{ oid: 'c'.repeat(64), size: 1 }] }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as {
    objects: { actions: { upload: { header: { Authorization: string }; expires_in: number } } }[];
  };
  const upload = body.objects[0]?.actions.upload;
  expect(upload?.header.Authorization).toMatch(/^Basic /);
  const decoded = Buffer.from(upload?.header.Authorization.slice('Basic '.length) ?? '', 'base64').toString();
  expect(decoded).toContain(':lfsx_');
  return { auth: upload?.header.Authorization ?? '', expiresIn: upload?.expires_in ?? -1 };
}

// The access memo saves each LFS request its token and role lookups; these prove it never outlives a change.
describe('remembered sign-ins and roles follow every change at once', () => {
  let api: ApiHarness;
  let admin: ReturnType<typeof adminClient>;

  beforeAll(async () => {
    api = await startApiHarness({ ACTION_TTL_SECONDS: '3600' });
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

  it('serves repeated requests from memory: no statement for token or role once they are known', async () => {
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
    // The project's links, then (the object being unlinked) whether it was deleted on purpose (410): none for auth.
    expect(statements).toBe(2);
    expect(api.app.get(AccessCache).size).toBeGreaterThan(0);
  });

  it('refuses a token that was just working as soon as it is revoked', async () => {
    const auth = await userWithToken('revoked', 'read');
    const tokens = await admin.call('GET', '/users/revoked/tokens');
    expect(await batchStatus(api, 'team/private', auth)).toBe(200);
    const id = String((tokens.body?.tokens as { id: string }[])[0]?.id);
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

  describe('transfer tokens follow their parent access token', () => {
    async function tokenId(username: string): Promise<string> {
      const tokens = await admin.call('GET', `/users/${username}/tokens`);
      return String((tokens.body?.tokens as { id: string }[])[0]?.id);
    }

    it('refuses a transfer token as soon as the token it was minted from is revoked', async () => {
      const parent = await userWithToken('parent-revoked', 'write');
      const transfer = await transferCredential(api, 'team/private', parent);
      expect(await batchStatus(api, 'team/private', transfer.auth)).toBe(200);
      // A transfer token minted from a transfer token still names the access token at the root.
      const grandchild = await transferCredential(api, 'team/private', transfer.auth);
      expect(await batchStatus(api, 'team/private', grandchild.auth)).toBe(200);
      const id = await tokenId('parent-revoked');
      expect((await admin.call('DELETE', `/users/parent-revoked/tokens/${id}`)).status).toBe(204);
      expect(await batchStatus(api, 'team/private', transfer.auth)).toBe(401);
      expect(await batchStatus(api, 'team/private', grandchild.auth)).toBe(401);
    });

    it("never gives a transfer token (nor its actions' expires_in) a longer life than its parent's", async () => {
      await admin.createUser('parent-expiring', 'parent-expiring-password');
      await admin.setMember('team/private', 'parent-expiring', 'write');
      const expiresAt = new Date(Date.now() + 30_000).toISOString();
      const token = (await admin.createToken('parent-expiring', 'ci', expiresAt)).body?.token as string;
      const transfer = await transferCredential(
        api,
        'team/private',
        formatBasicAuthorization('parent-expiring', token),
      );
      // ACTION_TTL_SECONDS is far longer than the 30 seconds the parent has left.
      expect(transfer.expiresIn).toBeGreaterThan(0);
      expect(transfer.expiresIn).toBeLessThanOrEqual(30);
      const secret =
        Buffer.from(transfer.auth.slice('Basic '.length), 'base64').toString().split(':')[1] ?? '';
      const claims = api.app.get(TransferTokenService).verify(secret);
      expect(claims?.expiresAt).toBeLessThanOrEqual(Math.ceil(Date.parse(expiresAt) / 1000));
      expect(api.app.get(TransferTokenService).verify(secret, Date.parse(expiresAt) + 1000)).toBeUndefined();
    });

    it('refuses a transfer token once its user is removed from the project or deleted', async () => {
      const parent = await userWithToken('parent-member', 'write');
      const transfer = await transferCredential(api, 'team/private', parent);
      expect(await batchStatus(api, 'team/private', transfer.auth)).toBe(200);
      await admin.call('DELETE', `/projects/${encodeURIComponent('team/private')}/members/parent-member`);
      expect(await batchStatus(api, 'team/private', transfer.auth)).toBe(404);

      const other = await userWithToken('parent-deleted', 'write');
      const otherTransfer = await transferCredential(api, 'team/private', other);
      expect(await batchStatus(api, 'team/private', otherTransfer.auth)).toBe(200);
      expect((await admin.call('DELETE', '/users/parent-deleted')).status).toBe(204);
      expect(await batchStatus(api, 'team/private', otherTransfer.auth)).toBe(401);
    });
  });

  it('stops anonymous reads as soon as a public project is made private', async () => {
    expect(await batchStatus(api, 'team/public')).toBe(200);
    await admin.call('PATCH', `/projects/${encodeURIComponent('team/public')}`, { visibility: 'private' });
    expect(await batchStatus(api, 'team/public')).toBe(401);
  });

  describeWithSecondInstance(
    () => api,
    (second) => {
      it("a parent token's revocation through one instance stops its transfer tokens on the other", async () => {
        const parent = await userWithToken('roaming-parent', 'write');
        const transfer = await transferCredential(second(), 'team/private', parent);
        expect(await batchStatus(second(), 'team/private', transfer.auth)).toBe(200);
        expect(await batchStatus(second(), 'team/private', transfer.auth)).toBe(200); // now remembered there
        const tokens = await admin.call('GET', '/users/roaming-parent/tokens');
        const id = String((tokens.body?.tokens as { id: string }[])[0]?.id);
        expect((await admin.call('DELETE', `/users/roaming-parent/tokens/${id}`)).status).toBe(204);
        await eventually(
          async () => (await batchStatus(second(), 'team/private', transfer.auth)) === 401,
        ).catch(() => undefined);
        expect(await batchStatus(second(), 'team/private', transfer.auth)).toBe(401);
      });

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
