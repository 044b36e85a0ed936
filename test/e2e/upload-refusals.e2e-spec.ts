import { describe, expect, it, jest } from '@jest/globals';
import type { ObjectStorage } from '@lfs-depot/storage';
import { objectKey } from '@lfs-depot/storage';

import { TransfersService } from '../../apps/api/src/transfers/transfers.service.js';
import {
  alice,
  basic,
  json,
  testObject,
  useTransferStack,
  type BatchAction,
  type BatchObject,
  type TestObject,
} from '../helpers/transfer-stack.js';

// The proxy writes a PUT it let in on a transfer token's signature before the API has checked anything; once
// finalize refused one, the next PUT of that token or project is authorized first, so the refusal costs one write,
// not one per PUT until the token expires.
describe('uploads after a finalize refused a transfer token upload (local disk storage)', () => {
  const t = useTransferStack([{ path: 'team/main' }, { path: 'team/small', quota: 10_000 }]);

  function spyOnTransfers(): {
    authorize: ReturnType<typeof jest.spyOn>;
    finalize: ReturnType<typeof jest.spyOn>;
    put: jest.SpiedFunction<ObjectStorage['put']>;
    restore: () => void;
  } {
    const service = t().stack.api.app.get(TransfersService);
    const authorize = jest.spyOn(service, 'authorizeUpload');
    const finalize = jest.spyOn(service, 'finalizeUpload');
    // The proxy and the API share this storage: every write of the proxy goes through its put.
    const put = jest.spyOn(t().stack.api.storage, 'put');
    return {
      authorize,
      finalize,
      put,
      restore: () => {
        authorize.mockRestore();
        finalize.mockRestore();
        put.mockRestore();
      },
    };
  }

  async function uploadAction(
    project: string,
    object: TestObject,
    authorization: string,
  ): Promise<BatchAction> {
    const answer = await t().batch(project, 'upload', [object], authorization);
    expect(answer.status).toBe(200);
    const action = (json(answer).objects as BatchObject[])[0]?.actions?.upload;
    if (!action) {
      throw new Error(`no upload action: ${answer.body}`);
    }
    return action;
  }

  function putKeys(put: jest.SpiedFunction<ObjectStorage['put']>): string[] {
    return put.mock.calls.map(([key]) => key);
  }

  it('refuses the next PUT of a revoked token with the API answer before its body is stored', async () => {
    const created = await t().admin.createToken(alice.username, 'ci');
    expect(created.status).toBe(201);
    const credentials = basic(alice.username, created.body?.token as string);
    const first = testObject(8192);
    const second = testObject(8192);
    const firstAction = await uploadAction('team/main', first, credentials);
    const secondAction = await uploadAction('team/main', second, credentials);
    expect(secondAction.header?.Authorization).toBe(firstAction.header?.Authorization);
    expect(
      (await t().admin.call('DELETE', `/users/${alice.username}/tokens/${String(created.body?.id)}`)).status,
    ).toBe(204);

    const spies = spyOnTransfers();
    try {
      // The proxy cannot know of the revocation: this body is written, then finalize refuses it.
      const refused = await t().put(firstAction, first.data);
      expect(refused.status).toBe(401);
      expect(putKeys(spies.put)).toEqual([objectKey(first.oid)]);
      expect(spies.authorize).not.toHaveBeenCalled();

      const again = await t().put(secondAction, second.data);
      await t().settled();
      expect(again.status).toBe(401);
      expect(json(again)).toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(spies.authorize).toHaveBeenCalledTimes(1);
      expect(spies.finalize).toHaveBeenCalledTimes(1);
      expect(putKeys(spies.put)).toEqual([objectKey(first.oid)]);
      expect(await t().stack.api.storage.stat(objectKey(second.oid))).toBeUndefined();
      expect(await t().objectRows(second.oid)).toBe(0);
    } finally {
      spies.restore();
    }
  });

  it('refuses the next PUT to a project over its quota with the API answer before its body is stored', async () => {
    const credentials = basic(alice.username, alice.password);
    const [fits, over, next] = [testObject(6000), testObject(6000), testObject(6000)];
    // Batched while the project is empty: each would fit alone, so each gets an upload action.
    const actions = [];
    for (const object of [fits, over, next]) {
      actions.push(await uploadAction('team/small', object, credentials));
    }
    const [fitsAction, overAction, nextAction] = actions as [BatchAction, BatchAction, BatchAction];

    const spies = spyOnTransfers();
    try {
      expect((await t().put(fitsAction, fits.data)).status).toBe(200);
      const refused = await t().put(overAction, over.data);
      expect(refused.status).toBe(507);
      expect(putKeys(spies.put)).toEqual([objectKey(fits.oid), objectKey(over.oid)]);
      expect(spies.authorize).not.toHaveBeenCalled();

      const again = await t().put(nextAction, next.data);
      await t().settled();
      expect(again.status).toBe(507);
      expect(json(again)).toMatchObject({ code: 'QUOTA_EXCEEDED' });
      expect(spies.authorize).toHaveBeenCalledTimes(1);
      expect(spies.finalize).toHaveBeenCalledTimes(2);
      expect(putKeys(spies.put)).toEqual([objectKey(fits.oid), objectKey(over.oid)]);
      expect(await t().stack.api.storage.stat(objectKey(next.oid))).toBeUndefined();
      expect((await t().admin.statistics('team/small')).body).toMatchObject({ lfs_objects_count: 1 });
    } finally {
      spies.restore();
    }
  });

  it('still lets a PUT of another project in on the token alone', async () => {
    const spies = spyOnTransfers();
    try {
      const object = testObject(2048);
      const action = await uploadAction('team/main', object, basic(alice.username, alice.password));
      expect((await t().put(action, object.data)).status).toBe(200);
      expect(spies.authorize).not.toHaveBeenCalled();
    } finally {
      spies.restore();
    }
  });
});
