import { randomBytes, scryptSync } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatBasicAuthorization } from '@lfs-depot/auth';
import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';

import { hashPassword } from '../../apps/api/src/auth/password-hasher.js';
import { UsersRepository } from '../../apps/api/src/users/users.repository.js';
import type { ApiHarness } from '../helpers/api-harness.js';
import { startApiHarness } from '../helpers/api-harness.js';
import { TestFactory } from '../helpers/factories.js';

/** A hash as the earlier code made them: N=2^15, r=8, p=1. */
function legacyHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 128 * 2 ** 15 * 8 * 2 });
  return ['scrypt', 2 ** 15, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
}

// Password sign-ins through the LFS batch route: what is stored and remembered follows the password and its hash.
describe('password sign-ins', () => {
  let api: ApiHarness;
  let factory: TestFactory;
  let users: UsersRepository;

  beforeAll(async () => {
    api = await startApiHarness();
    factory = TestFactory.forApi(api);
    users = api.app.get(UsersRepository, { strict: false });
  });

  afterAll(async () => {
    await api.close();
  });

  /** A download batch into `project` signed in as username:password; returns the status. */
  async function signIn(project: string, username: string, password: string): Promise<number> {
    const answer = await fetch(`${api.url}/${project}.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: {
        accept: LFS_MEDIA_TYPE,
        'content-type': LFS_MEDIA_TYPE,
        authorization: formatBasicAuthorization(username, password),
      },
      body: JSON.stringify({ operation: 'download', objects: [{ oid: 'c'.repeat(64), size: 1 }] }),
    });
    await answer.arrayBuffer();
    return answer.status;
  }

  async function storedHash(userId: string): Promise<string> {
    const rows = await api.dataSource.query<{ password_hash: string }[]>(
      'SELECT password_hash FROM users WHERE id = $1',
      [userId],
    );
    return rows[0]?.password_hash ?? '';
  }

  it('stores a hash at the current scrypt cost on the first sign-in with one made at the earlier cost', async () => {
    const user = await users.createUser({
      username: 'legacy-hash-user',
      passwordHash: legacyHash('old but right'),
      admin: false,
    });
    const project = await factory.project({ members: { 'legacy-hash-user': 'read' } });

    expect(await signIn(project.path, 'legacy-hash-user', 'old but right')).toBe(200);

    const rehashed = await storedHash(user!.id);
    expect(rehashed.split('$').slice(0, 4)).toEqual(['scrypt', '131072', '8', '1']);
    expect(await signIn(project.path, 'legacy-hash-user', 'old but right')).toBe(200);
    expect(await signIn(project.path, 'legacy-hash-user', 'old but wrong')).toBe(401);
    // Once is enough: a sign-in with the current cost stores nothing new.
    expect(await storedHash(user!.id)).toBe(rehashed);
  });

  it('refuses the old password at once after the password changed, though it was just remembered', async () => {
    const user = await factory.user({ password: 'first password' });
    const project = await factory.project({ members: { [user.username]: 'read' } });
    expect(await signIn(project.path, user.username, 'first password')).toBe(200);

    await users.setPasswordHash(user.id, await hashPassword('second password'));

    expect(await signIn(project.path, user.username, 'first password')).toBe(401);
    expect(await signIn(project.path, user.username, 'second password')).toBe(200);
  });
});
