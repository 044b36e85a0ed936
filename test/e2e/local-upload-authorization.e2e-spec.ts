import { describe, expect, it } from '@jest/globals';
import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';
import { objectKey } from '@lfs-depot/storage';

import {
  alice,
  basic,
  json,
  request,
  testObject,
  type RawAnswer,
  useTransferStack,
  type BatchAction,
  type BatchObject,
  type TestObject,
} from '../helpers/transfer-stack.js';

// The proxy lets a PUT in on its transfer token's Ed25519 signature alone, and finalize checks the token again in
// full: what these tests show is that no authorize call is made, and that nothing is linked for a token that stopped
// being valid between the batch and the end of the body.
describe('uploads authorized by the proxy from the transfer token (local disk storage)', () => {
  const t = useTransferStack([{ path: 'team/main' }, { path: 'team/other' }, { path: 'team/gone' }]);

  function postVerify(
    project: string,
    object: TestObject,
    authorization: string | undefined,
  ): Promise<RawAnswer> {
    return request(t().lfs(project, 'objects/verify'), {
      method: 'POST',
      headers: {
        accept: LFS_MEDIA_TYPE,
        'content-type': LFS_MEDIA_TYPE,
        ...(authorization === undefined ? {} : { authorization }),
      },
      body: JSON.stringify({ oid: object.oid, size: object.size }),
    });
  }

  /** An answer as the client sees it, without what differs between any two answers (date, request id). */
  function comparable(answer: RawAnswer): unknown {
    const { date: _date, 'x-request-id': _id, ...headers } = answer.headers;
    return { status: answer.status, headers, body: answer.body };
  }

  async function linksAndStatistics(): Promise<unknown> {
    const { links, statistics } = (await t().tables()) as { links: unknown; statistics: unknown };
    return { links, statistics };
  }

  it('stores and links a PUT with a transfer token without any authorize call to the API', async () => {
    const spies = t().spyOnTransfers();
    try {
      const objects = [testObject(4096), testObject(4096), testObject(10)];
      const answer = await t().batch('team/main', 'upload', objects, basic(alice.username, alice.password));
      const actions = (json(answer).objects as BatchObject[]).map((object) => object.actions?.upload);
      // One token for the whole batch answer, and the same one for the next batch (signed once).
      const again = (await t().uploadActions('team/main', objects[0], basic(alice.username, alice.password)))
        .upload;
      expect(
        new Set([...actions.map((action) => action?.header?.Authorization), again.header?.Authorization])
          .size,
      ).toBe(1);
      for (const [index, object] of objects.entries()) {
        expect((await t().put(actions[index] as BatchAction, object.data)).status).toBe(200);
        expect(await t().stack.api.storage.stat(objectKey(object.oid))).toEqual({ size: object.size });
      }
      expect(spies.authorize).not.toHaveBeenCalled();
      expect(spies.finalize).toHaveBeenCalledTimes(3);
      expect((await t().admin.statistics('team/main')).body).toMatchObject({ lfs_objects_count: 3 });
    } finally {
      spies.restore();
    }
  });

  it('still asks the API to authorize a PUT with a password, or with a token for another project', async () => {
    const spies = t().spyOnTransfers();
    try {
      const object = testObject(2048);
      const byPassword = await t().put(
        { href: t().lfs('team/main', `objects/${object.oid}/${object.size}`) },
        object.data,
        { authorization: basic(alice.username, alice.password) },
      );
      expect(byPassword.status).toBe(200);
      expect(spies.authorize).toHaveBeenCalledTimes(1);

      // The signature binds team/main: on team/other's URL the proxy does not believe it, and the API refuses it.
      const other = testObject(2048);
      const action = (await t().uploadActions('team/main', other, basic(alice.username, alice.password)))
        .upload;
      const before = await linksAndStatistics();
      const misused = await t().put(
        { href: t().lfs('team/other', `objects/${other.oid}/${other.size}`), header: action.header },
        other.data,
      );
      expect(misused.status).toBeGreaterThanOrEqual(401);
      expect(misused.status).toBeLessThan(500);
      expect(spies.authorize).toHaveBeenCalledTimes(2);
      expect(await linksAndStatistics()).toEqual(before);
    } finally {
      spies.restore();
    }
  });

  it('links nothing for a token whose parent access token was revoked between the batch and the PUT', async () => {
    const created = await t().admin.createToken(alice.username, 'ci');
    expect(created.status).toBe(201);
    const accessToken = created.body?.token as string;
    const object = testObject(8192);
    const action = (await t().uploadActions('team/main', object, basic(alice.username, accessToken))).upload;
    const before = await linksAndStatistics();

    const revoked = await t().admin.call(
      'DELETE',
      `/users/${alice.username}/tokens/${String(created.body?.id)}`,
    );
    expect(revoked.status).toBe(204);
    const answer = await t().put(action, object.data);
    expect(answer.status).toBe(401);
    expect(json(answer)).toMatchObject({ message: expect.stringContaining('nothing was linked') });
    await t().settled();
    expect(await linksAndStatistics()).toEqual(before);
    // The verified bytes are recorded linked nowhere, for garbage collection to find, as for any refused link.
    expect(await t().objectRows(object.oid)).toBe(1);
  });

  it('links nothing for a user who lost the membership between batch and PUT', async () => {
    const object = testObject(512);
    const action = (await t().uploadActions('team/gone', object, basic(alice.username, alice.password)))
      .upload;
    const before = await linksAndStatistics();
    expect((await t().admin.call('DELETE', `/projects/team%2Fgone/members/${alice.username}`)).status).toBe(
      204,
    );
    const answer = await t().put(action, object.data);
    expect(answer.status).toBe(404);
    expect(await linksAndStatistics()).toEqual(before);
  });

  it('answers the verify of an upload it just finalized itself, exactly as the API would', async () => {
    const spies = t().spyOnTransfers();
    try {
      const object = testObject(4096);
      const action = (await t().uploadActions('team/main', object, basic(alice.username, alice.password)))
        .upload;
      const token = action.header?.Authorization;
      expect((await t().put(action, object.data)).status).toBe(200);
      const local = await postVerify('team/main', object, token);
      expect(spies.verify).not.toHaveBeenCalled();

      // The same verify asked of the API (with the password, which the proxy never answers itself).
      const forwarded = await postVerify('team/main', object, basic(alice.username, alice.password));
      expect(spies.verify).toHaveBeenCalledTimes(1);
      expect(forwarded.status).toBe(200);
      expect(comparable(local)).toEqual(comparable(forwarded));
      expect(local.headers['x-request-id']).toEqual(expect.any(String));
    } finally {
      spies.restore();
    }
  });

  it('forwards every other verify: another size, an object this proxy did not finalize, a bad token', async () => {
    const spies = t().spyOnTransfers();
    try {
      const object = testObject(1024);
      const action = (await t().uploadActions('team/main', object, basic(alice.username, alice.password)))
        .upload;
      const token = action.header?.Authorization as string;
      expect((await t().put(action, object.data)).status).toBe(200);

      const wrongSize = await postVerify('team/main', { ...object, size: object.size + 1 }, token);
      expect(wrongSize.status).toBe(404);
      expect(spies.verify).toHaveBeenCalledTimes(1);

      const byPassword = testObject(1024);
      await t().put(
        { href: t().lfs('team/main', `objects/${byPassword.oid}/${byPassword.size}`) },
        byPassword.data,
        { authorization: basic(alice.username, alice.password) },
      );
      expect((await postVerify('team/main', byPassword, token)).status).toBe(200);
      expect(spies.verify).toHaveBeenCalledTimes(2);

      // A token whose signature is broken is never believed here; the API checks its own MAC, which is intact.
      const decoded = Buffer.from(token.slice('Basic '.length), 'base64').toString('utf8');
      const at = decoded.lastIndexOf('.') + 1;
      const broken = `${decoded.slice(0, at)}${decoded[at] === 'A' ? 'B' : 'A'}${decoded.slice(at + 1)}`;
      const forwarded = await postVerify(
        'team/main',
        object,
        `Basic ${Buffer.from(broken).toString('base64')}`,
      );
      expect(forwarded.status).toBe(200);
      expect(spies.verify).toHaveBeenCalledTimes(3);

      // On another project's URL the same token is not this proxy's to answer for either.
      expect((await postVerify('team/other', object, token)).status).toBeGreaterThanOrEqual(401);
      expect(spies.verify).toHaveBeenCalledTimes(4);
    } finally {
      spies.restore();
    }
  });
});
