import { describe, expect, it, jest } from '@jest/globals';
import type { ObjectStorage } from '@lfs-depot/storage';
import { objectKey } from '@lfs-depot/storage';

import { ObjectPurger } from '../../apps/api/src/objects/object-purger.js';
import { ObjectsRepository } from '../../apps/api/src/objects/objects.repository.js';
import {
  alice,
  basic,
  json,
  testObject,
  useTransferStack,
  type BatchAction,
  type TestObject,
} from '../helpers/transfer-stack.js';

/** Rounds of the race: a collection's purge of an object racing a PUT of the same oid on a transfer token. */
const RACE_ROUNDS = 30;

/** A few event-loop turns, different each time, so that the racers interleave differently from round to round. */
async function jitter(): Promise<void> {
  const turns = Math.floor(Math.random() * 6);
  for (let turn = 0; turn < turns; turn += 1) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

// The proxy writes a PUT it let in on a transfer token's signature before the API has checked anything; once
// finalize refused one, the next PUT of that token or project is authorized first, so the refusal costs one write,
// not one per PUT until the token expires.
describe('uploads after a finalize refused a transfer token upload (local disk storage)', () => {
  const t = useTransferStack([
    { path: 'team/main' },
    { path: 'team/small', quota: 10_000 },
    { path: 'race/holder' },
    { path: 'race/first' },
  ]);

  function putKeys(put: jest.SpiedFunction<ObjectStorage['put']>): string[] {
    return put.mock.calls.map(([key]) => key);
  }

  it('refuses the next PUT of a revoked token with the API answer before its body is stored', async () => {
    const created = await t().admin.createToken(alice.username, 'ci');
    expect(created.status).toBe(201);
    const credentials = basic(alice.username, created.body?.token as string);
    const first = testObject(8192);
    const second = testObject(8192);
    const firstAction = (await t().uploadActions('team/main', first, credentials)).upload;
    const secondAction = (await t().uploadActions('team/main', second, credentials)).upload;
    expect(secondAction.header?.Authorization).toBe(firstAction.header?.Authorization);
    expect(
      (await t().admin.call('DELETE', `/users/${alice.username}/tokens/${String(created.body?.id)}`)).status,
    ).toBe(204);

    const spies = t().spyOnTransfers();
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
      actions.push((await t().uploadActions('team/small', object, credentials)).upload);
    }
    const [fitsAction, overAction, nextAction] = actions as [BatchAction, BatchAction, BatchAction];

    const spies = t().spyOnTransfers();
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
    const spies = t().spyOnTransfers();
    try {
      const object = testObject(2048);
      const action = (await t().uploadActions('team/main', object, basic(alice.username, alice.password)))
        .upload;
      expect((await t().put(action, object.data)).status).toBe(200);
      expect(spies.authorize).not.toHaveBeenCalled();
    } finally {
      spies.restore();
    }
  });

  it(`leaves every link with its bytes and no bytes without a row: ${RACE_ROUNDS} token PUTs racing a purge`, async () => {
    const objects = t().stack.api.app.get(ObjectsRepository, { strict: false });
    const purger = t().stack.api.app.get(ObjectPurger, { strict: false });
    const holder = t().projectIds.get('race/holder') as string;
    const outcomes = { purged: 0, refused: 0, linked: 0 };
    const raced: TestObject[] = [];
    for (let round = 0; round < RACE_ROUNDS; round += 1) {
      const object = testObject(20_000 + round);
      raced.push(object);
      await t().upload('race/holder', object);
      const row = await objects.findObject(object.oid, object.size);
      // Asked for before the purge starts, as a client whose batch came just before the collection would.
      const action = (await t().uploadActions('race/first', object, basic(alice.username, alice.password)))
        .upload;
      const purge = async (): Promise<void> => {
        await jitter();
        await objects.unlinkObjects(holder, { oids: [object.oid] });
        if (await purger.purge(row?.id as string, new Date())) {
          outcomes.purged += 1;
        }
      };
      const put = async (): Promise<void> => {
        await jitter();
        const answer = await t().put(action, object.data);
        if (answer.status === 200) {
          outcomes.linked += 1;
        } else {
          // The bytes were being purged: git-lfs would send them again.
          expect(answer.status).toBe(503);
          outcomes.refused += 1;
        }
      };
      await Promise.all([purge(), put()]);
      await t().settled();
    }
    // What the next collection does before it purges: refused bytes written during a purge get their row.
    await purger.recordLeftovers();
    const broken: string[] = [];
    const unnamed: string[] = [];
    const bytesless: string[] = [];
    for (const object of raced) {
      const linked = await objects.findLinkedObjects(t().projectIds.get('race/first') as string, [
        object.oid,
      ]);
      const link = linked.get(object.oid);
      if (link && (await t().stack.api.storage.stat(link.storageKey))?.size !== object.size) {
        broken.push(object.oid);
      }
      if (
        (await t().stack.api.storage.stat(objectKey(object.oid))) &&
        (await t().objectRows(object.oid)) !== 1
      ) {
        unnamed.push(object.oid);
      }
      // Scrub would report a present row without its bytes as missing.
      if (
        (await t().objectRows(object.oid)) > 0 &&
        (await t().stack.api.storage.stat(objectKey(object.oid))) === undefined
      ) {
        bytesless.push(object.oid);
      }
    }
    expect(broken).toEqual([]);
    expect(unnamed).toEqual([]);
    expect(bytesless).toEqual([]);
    // Every round's PUT was answered, with 200 or with 503.
    expect(outcomes.refused + outcomes.linked).toBe(RACE_ROUNDS);
    // The race was run, not dodged: some purges deleted bytes while or before an upload wrote them.
    expect(outcomes.purged).toBeGreaterThan(0);
  });

  it('records the bytes of a PUT refused while their purge was under way, for a collection to purge', async () => {
    const objects = t().stack.api.app.get(ObjectsRepository, { strict: false });
    const purger = t().stack.api.app.get(ObjectPurger, { strict: false });
    const storage = t().stack.api.storage;
    const object = testObject(30_000);
    await t().upload('race/holder', object);
    const row = await objects.findObject(object.oid, object.size);
    const action = (await t().uploadActions('race/first', object, basic(alice.username, alice.password)))
      .upload;
    await objects.unlinkObjects(t().projectIds.get('race/holder') as string, { oids: [object.oid] });

    // The order that leaves bytes no row names: the purge deletes, the PUT writes and is refused (the row is still
    // purging), then the purge removes its row.
    let deleted!: () => void;
    const wasDeleted = new Promise<void>((resolve) => (deleted = resolve));
    let answered!: () => void;
    const wasAnswered = new Promise<void>((resolve) => (answered = resolve));
    const remove = storage.delete.bind(storage);
    const spy = jest.spyOn(storage, 'delete').mockImplementation(async (key) => {
      await remove(key);
      deleted();
      await wasAnswered;
    });
    try {
      const purge = purger.purge(row?.id as string, new Date());
      await wasDeleted;
      const refused = await t().put(action, object.data);
      answered();
      expect(refused.status).toBe(503);
      expect(await purge).toMatchObject({ oid: object.oid });
    } finally {
      spy.mockRestore();
    }
    await t().settled();
    expect(await storage.stat(objectKey(object.oid))).toEqual({ size: object.size });
    expect(await objects.recordLeftovers()).toBeGreaterThanOrEqual(1);
    const recorded = await objects.findObject(object.oid, object.size);
    expect(recorded).toMatchObject({ state: 'present' });
    expect(await purger.purge(recorded?.id as string, new Date(Date.now() + 1000))).toMatchObject({
      oid: object.oid,
    });
    expect(await storage.stat(objectKey(object.oid))).toBeUndefined();
  });
});
