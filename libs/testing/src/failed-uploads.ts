import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';

import { expect } from '@jest/globals';
import { objectKey, type ObjectStorage } from '@lfs-depot/storage';

import { bodyOf, expectedFor, failingBody, rejection, unendingBody } from './upload-bodies.js';
import { eventually } from './waiting.js';

/**
 * Uploads of one object of `size` bytes that go wrong at every stage (wrong bytes at either end, too short, too long,
 * a body that fails, an abort with all or part of it sent), first with nothing stored under its key and then with
 * the object stored: each must fail, leave `keysUnder()` as it was, and leave the stored object byte for byte.
 */
export async function expectFailedUploadsToKeepWhatIsStored(
  storage: ObjectStorage,
  options: { size: number; partSize: number; keysUnder: () => Promise<string[]> },
): Promise<void> {
  const { size, partSize, keysUnder } = options;
  const stored = randomBytes(size);
  const expected = expectedFor(stored);
  const key = objectKey(expected.oid);
  const wrongLastByte = Buffer.from(stored);
  wrongLastByte[size - 1] ^= 1;
  const wrongFirstByte = Buffer.from(stored);
  wrongFirstByte[0] ^= 1;
  type Stage = { name: string; body: () => Readable & { taken?: boolean }; abort?: true };
  const stages: Stage[] = [
    { name: 'wrong last byte', body: () => bodyOf(wrongLastByte) },
    { name: 'wrong first byte', body: () => bodyOf(wrongFirstByte) },
    { name: 'one byte short', body: () => bodyOf(stored.subarray(0, size - 1)) },
    { name: 'one byte too many', body: () => bodyOf(Buffer.concat([stored, Buffer.from('x')])) },
    {
      name: 'body fails at the end',
      body: () => failingBody(stored.subarray(0, size - 1), new Error('reset')),
    },
    { name: 'aborted with every byte sent', body: () => unendingBody(stored), abort: true },
    { name: 'aborted midway', body: () => unendingBody(stored.subarray(0, partSize)), abort: true },
  ];
  for (const present of [false, true]) {
    if (present) {
      await storage.put(key, bodyOf(stored), expected);
    }
    for (const stage of stages) {
      const controller = new AbortController();
      const body = stage.body();
      const put = rejection(storage.put(key, body, expected, { signal: controller.signal }));
      if (stage.abort) {
        await eventually(() => body.taken === true);
        controller.abort(new Error(`aborted: ${stage.name}`));
      }
      const error = await put;
      expect({ stage: stage.name, failed: error instanceof Error }).toEqual({
        stage: stage.name,
        failed: true,
      });
      expect({ stage: stage.name, keys: await keysUnder() }).toEqual({
        stage: stage.name,
        keys: present ? [key] : [],
      });
      if (present) {
        expect({
          stage: stage.name,
          intact: (await buffer(await storage.open(key))).equals(stored),
        }).toEqual({ stage: stage.name, intact: true });
      }
    }
  }
}
