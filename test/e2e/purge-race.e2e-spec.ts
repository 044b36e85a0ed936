import { afterAll, describe, expect, it } from '@jest/globals';

import { ObjectPurger } from '../../apps/api/src/objects/object-purger.js';
import { ObjectsRepository } from '../../apps/api/src/objects/objects.repository.js';
import { s3TestStorage } from '../helpers/s3-test-storage.js';
import type { TestObject, TransferStack } from '../helpers/transfer-stack.js';
import { alice, basic, json, testObject, useTransferStack } from '../helpers/transfer-stack.js';
import type { BatchObject } from '../helpers/transfer-stack.js';

/** Rounds of the race per storage: each one a purge of an object racing two uploads of the same oid. */
const ROUNDS = 40;

/** A few event-loop turns, different each time, so that the racers interleave differently from round to round. */
async function jitter(): Promise<void> {
  const turns = Math.floor(Math.random() * 6);
  for (let turn = 0; turn < turns; turn += 1) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * Uploads as git-lfs does: batch, then PUT the bytes; a 503 (the object's bytes were being purged) is retried like
 * git-lfs retries it. Returns how many 503s it met.
 */
async function uploadRetrying(t: TransferStack, project: string, object: TestObject): Promise<number> {
  let retries = 0;
  for (;;) {
    const answer = await t.batch(project, 'upload', [object], basic(alice.username, alice.password));
    expect(answer.status).toBe(200);
    const [result] = json(answer).objects as BatchObject[];
    const upload = result?.actions?.upload;
    if (!upload) {
      return retries;
    }
    const put = await t.put(upload, object.data);
    if (put.status === 200) {
      return retries;
    }
    expect(put.status).toBe(503);
    retries += 1;
    expect(retries).toBeLessThan(50);
  }
}

/** Every link's bytes are in storage at the linked size: the invariant no purge may break. */
async function expectEveryLinkHasItsBytes(t: TransferStack): Promise<number> {
  const links = await t.stack.api.dataSource.query<{ oid: string; size: string; storage_key: string }[]>(
    `SELECT o.oid, o.size, o.storage_key FROM lfs_objects_projects l JOIN lfs_objects o ON o.id = l.lfs_object_id`,
  );
  const broken: string[] = [];
  for (const link of links) {
    const stored = await t.stack.api.storage.stat(link.storage_key);
    if (stored?.size !== Number(link.size)) {
      broken.push(link.oid);
    }
  }
  expect(broken).toEqual([]);
  return links.length;
}

function purgeRace(t: () => TransferStack): void {
  it(`never leaves a link to purged bytes: ${ROUNDS} purges each racing two same-oid uploads`, async () => {
    const objects = t().stack.api.app.get(ObjectsRepository, { strict: false });
    const purger = t().stack.api.app.get(ObjectPurger, { strict: false });
    const holder = t().projectIds.get('race/holder') as string;
    let purged = 0;
    let retried = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const object = testObject(10_000 + round);
      await t().upload('race/holder', object);
      const row = await objects.findObject(object.oid, object.size);
      const purge = async (): Promise<void> => {
        await jitter();
        await objects.unlinkObjects(holder, { oids: [object.oid] });
        if (await purger.purge(row?.id as string, new Date())) {
          purged += 1;
        }
      };
      const upload = async (project: string): Promise<void> => {
        await jitter();
        retried += await uploadRetrying(t(), project, object);
      };
      await Promise.all([purge(), upload('race/first'), upload('race/second')]);
      await t().settled();
      // Both uploads succeeded in the end, so both projects link the object, and its bytes are there.
      const linked = await objects.findLinkedObjects(t().projectIds.get('race/first') as string, [
        object.oid,
      ]);
      expect(linked.get(object.oid)?.size).toBe(object.size);
      expect(await t().stack.api.storage.stat(linked.get(object.oid)?.storageKey as string)).toEqual({
        size: object.size,
      });
    }
    expect(await expectEveryLinkHasItsBytes(t())).toBe(2 * ROUNDS);
    // The race was run, not dodged: some purges deleted bytes that uploads then had to send again, or met.
    expect(purged + retried).toBeGreaterThan(0);
  });
}

const PROJECTS = [{ path: 'race/holder' }, { path: 'race/first' }, { path: 'race/second' }];

describe('purge racing uploads (local disk)', () => {
  const t = useTransferStack(PROJECTS);
  purgeRace(t);
});

describe('purge racing uploads (S3, s3rver)', () => {
  const s3 = s3TestStorage();
  const t = useTransferStack(PROJECTS, { storage: s3.start });
  afterAll(s3.stop);
  purgeRace(t);
});
