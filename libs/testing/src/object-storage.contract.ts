import { randomBytes } from 'node:crypto';
import { buffer, text } from 'node:stream/consumers';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  checkStoredObject,
  isValidKey,
  objectKey,
  ObjectMissingError,
  StoredSizeMismatchError,
  type ObjectStorage,
  STORAGE_MARKER_KEY,
  StorageVerificationError,
} from '@lfs-depot/storage';

import { bodyOf, endlessBody, expectedFor, failingBody, rejection, stallingBody } from './upload-bodies.js';

const MIB = 1024 * 1024;

/** One backend under test, with what the contract needs to look behind `ObjectStorage`. */
export interface StorageUnderTest {
  storage: ObjectStorage;
  /** The keys of every committed object, sorted, as `objectKey` spells them (any prefix removed). */
  storedKeys(): Promise<string[]>;
  /** Whatever a failed or finished upload must not leave behind: temp files, unfinished multipart uploads. */
  leftovers(): Promise<string[]>;
  /** Releases the backend (connections, folders). */
  close(): Promise<void>;
}

export interface StorageContractOptions {
  /**
   * The size of the "large" objects: big enough to take the backend's long path (S3: several multipart parts).
   * Failures midway happen after about 60% of it, so past the first part.
   */
  largeSize: number;
}

/**
 * The behaviour every ObjectStorage backend promises (object-storage.ts), as one suite: put verifies before
 * anything is visible and leaves nothing behind on any failure, verify checks a body against a stored object
 * without writing, stat/open/delete/check answer as documented.
 * `makeStorage` gives a fresh, empty backend for each test. Backend-specific cases stay in the backend's spec.
 */
export function describeObjectStorageContract(
  name: string,
  makeStorage: () => Promise<StorageUnderTest>,
  options: StorageContractOptions,
): void {
  const { largeSize } = options;
  const sizes = [
    ['small', 300 * 1024],
    ['large', largeSize],
  ] as const;

  describe(`${name} (ObjectStorage contract)`, () => {
    let subject: StorageUnderTest;
    let storage: ObjectStorage;

    async function putContent(content: Buffer): Promise<string> {
      const expected = expectedFor(content);
      const key = objectKey(expected.oid);
      await storage.put(key, bodyOf(content), expected);
      return key;
    }

    async function expectNothingStored(): Promise<void> {
      expect(await subject.storedKeys()).toEqual([]);
      expect(await subject.leftovers()).toEqual([]);
    }

    beforeEach(async () => {
      subject = await makeStorage();
      storage = subject.storage;
    });

    afterEach(async () => {
      await subject.close();
    });

    describe('put', () => {
      it.each(sizes)(
        'returns after storing the exact bytes under the key when a %s upload matches',
        async (_label, size) => {
          const content = randomBytes(size + 17);
          const key = await putContent(content);

          expect(await subject.storedKeys()).toEqual([key]);
          expect((await buffer(await storage.open(key))).equals(content)).toBe(true);
          expect(await subject.leftovers()).toEqual([]);
        },
      );

      it('returns after storing the empty object', async () => {
        const key = await putContent(Buffer.alloc(0));

        expect(await storage.stat(key)).toEqual({ size: 0 });
        expect(await subject.leftovers()).toEqual([]);
      });

      it.each(sizes)(
        'rejects when %s content does not hash to the oid, committing nothing',
        async (_label, size) => {
          const content = randomBytes(size);
          const expected = { oid: expectedFor(randomBytes(16)).oid, size: content.length };

          const error = await rejection(storage.put(objectKey(expected.oid), bodyOf(content), expected));

          expect(error).toBeInstanceOf(StorageVerificationError);
          expect(error).toMatchObject({
            reason: 'hash_mismatch',
            actual: { size: content.length, oid: expectedFor(content).oid },
          });
          await expectNothingStored();
        },
      );

      it.each(sizes)(
        'rejects when a %s body is shorter than the size, committing nothing',
        async (_label, size) => {
          const content = randomBytes(size + 10);
          const expected = { ...expectedFor(content), size: content.length + 1 };

          const error = await rejection(storage.put(objectKey(expected.oid), bodyOf(content), expected));

          expect(error).toBeInstanceOf(StorageVerificationError);
          expect(error).toMatchObject({ reason: 'size_mismatch', actual: { size: content.length } });
          await expectNothingStored();
        },
      );

      it('rejects as soon as the body exceeds the size, without reading the rest or leaving anything', async () => {
        const body = endlessBody();
        const expected = { oid: expectedFor(Buffer.from('x')).oid, size: largeSize };

        const error = await rejection(storage.put(objectKey(expected.oid), body, expected));

        expect(error).toBeInstanceOf(StorageVerificationError);
        expect(error).toMatchObject({ reason: 'size_mismatch' });
        expect((error as StorageVerificationError).actual.size).toBeGreaterThan(largeSize);
        expect(body.destroyed).toBe(true);
        // What the stream buffers hold at most: the verifier's and the body's high-water marks.
        expect(body.produced).toBeLessThan(largeSize + 2 * MIB);
        await expectNothingStored();
      });

      it('rejects with the body error when the body fails midway, leaving nothing', async () => {
        const content = randomBytes(largeSize);
        const reset = new Error('socket hang up');

        const error = await rejection(
          storage.put(
            objectKey(expectedFor(content).oid),
            failingBody(content.subarray(0, Math.ceil(largeSize * 0.6)), reset),
            expectedFor(content),
          ),
        );

        expect(error).toBe(reset);
        await expectNothingStored();
      });

      it('rejects with the abort reason when aborted midway, leaving nothing', async () => {
        const content = randomBytes(largeSize);
        const controller = new AbortController();
        const reason = new Error('client disconnected');
        const body = stallingBody(content.subarray(0, Math.ceil(largeSize * 0.6)));
        // Long enough for a multipart backend to send its first part, so that the abort has a part to clean up.
        body.once('data', () => setTimeout(() => controller.abort(reason), 200));

        const error = await rejection(
          storage.put(objectKey(expectedFor(content).oid), body, expectedFor(content), {
            signal: controller.signal,
          }),
        );

        expect(error).toBe(reason);
        expect(body.destroyed).toBe(true);
        await expectNothingStored();
      });

      it('rejects without reading when the signal has already aborted', async () => {
        const content = randomBytes(1000);
        const body = bodyOf(content);

        const error = await rejection(
          storage.put(objectKey(expectedFor(content).oid), body, expectedFor(content), {
            signal: AbortSignal.abort(),
          }),
        );

        expect(error).toMatchObject({ name: 'AbortError' });
        expect(body.destroyed).toBe(true);
        await expectNothingStored();
      });

      it('returns for both when two uploads of the same oid run concurrently, storing one object', async () => {
        const content = randomBytes(largeSize);
        const expected = expectedFor(content);
        const key = objectKey(expected.oid);

        await Promise.all([
          storage.put(key, bodyOf(content), expected),
          storage.put(key, bodyOf(content), expected),
        ]);

        expect(await subject.storedKeys()).toEqual([key]);
        expect((await buffer(await storage.open(key))).equals(content)).toBe(true);
        expect(await subject.leftovers()).toEqual([]);
      });

      it('rejects when a re-upload of a stored object has other content, keeping the stored object', async () => {
        const content = randomBytes(largeSize);
        const key = await putContent(content);
        const forged = Buffer.from(content);
        forged[1000] ^= 0xff;

        const error = await rejection(storage.put(key, bodyOf(forged), expectedFor(content)));

        expect(error).toMatchObject({ reason: 'hash_mismatch' });
        expect((await buffer(await storage.open(key))).equals(content)).toBe(true);
        expect(await subject.storedKeys()).toEqual([key]);
        expect(await subject.leftovers()).toEqual([]);
      });

      it.each(['../escape', 'ab/../../escape', '/etc/passwd', 'tmp/planted'])(
        'rejects when the key is %p, reading nothing',
        async (key) => {
          const content = randomBytes(10);
          const body = bodyOf(content);

          await expect(storage.put(key, body, expectedFor(content))).rejects.toThrow(TypeError);
          await expectNothingStored();
        },
      );
    });

    describe('verify', () => {
      it('returns without writing anything when the body matches the stored object', async () => {
        const content = randomBytes(largeSize);
        const key = await putContent(content);

        await storage.verify(key, bodyOf(content), expectedFor(content));

        expect(await subject.storedKeys()).toEqual([key]);
        expect((await buffer(await storage.open(key))).equals(content)).toBe(true);
        expect(await subject.leftovers()).toEqual([]);
      });

      it('rejects when the body does not hash to the oid, keeping the stored object', async () => {
        const content = randomBytes(MIB);
        const key = await putContent(content);
        const forged = Buffer.from(content);
        forged[1000] ^= 0xff;

        const error = await rejection(storage.verify(key, bodyOf(forged), expectedFor(content)));

        expect(error).toBeInstanceOf(StorageVerificationError);
        expect(error).toMatchObject({ reason: 'hash_mismatch', actual: { oid: expectedFor(forged).oid } });
        expect((await buffer(await storage.open(key))).equals(content)).toBe(true);
        expect(await subject.storedKeys()).toEqual([key]);
        expect(await subject.leftovers()).toEqual([]);
      });

      it('rejects when the body is shorter than the size, keeping the stored object', async () => {
        const content = randomBytes(MIB);
        const key = await putContent(content);

        const error = await rejection(storage.verify(key, bodyOf(content.subarray(1)), expectedFor(content)));

        expect(error).toMatchObject({ reason: 'size_mismatch', actual: { size: content.length - 1 } });
        expect((await buffer(await storage.open(key))).equals(content)).toBe(true);
      });

      it('rejects as soon as the body exceeds the size, without reading the rest', async () => {
        const content = randomBytes(largeSize);
        const key = await putContent(content);
        const body = endlessBody();

        const error = await rejection(storage.verify(key, body, expectedFor(content)));

        expect(error).toMatchObject({ reason: 'size_mismatch' });
        expect(body.destroyed).toBe(true);
        expect(body.produced).toBeLessThan(content.length + 2 * MIB);
        expect((await buffer(await storage.open(key))).equals(content)).toBe(true);
      });

      it('rejects with the body error when the body fails midway', async () => {
        const content = randomBytes(2 * MIB);
        const key = await putContent(content);
        const reset = new Error('socket hang up');

        const error = await rejection(
          storage.verify(key, failingBody(content.subarray(0, MIB), reset), expectedFor(content)),
        );

        expect(error).toBe(reset);
        expect(await subject.storedKeys()).toEqual([key]);
      });

      it('rejects with the abort reason when aborted midway', async () => {
        const content = randomBytes(2 * MIB);
        const key = await putContent(content);
        const controller = new AbortController();
        const reason = new Error('client disconnected');
        const body = stallingBody(content.subarray(0, MIB));
        body.once('data', () => controller.abort(reason));

        const error = await rejection(
          storage.verify(key, body, expectedFor(content), { signal: controller.signal }),
        );

        expect(error).toBe(reason);
        expect(body.destroyed).toBe(true);
      });

      it('rejects with ObjectMissingError after a matching body when nothing is stored under the key, storing nothing', async () => {
        const content = randomBytes(largeSize);
        const expected = expectedFor(content);
        const body = bodyOf(content);

        const error = await rejection(storage.verify(objectKey(expected.oid), body, expected));

        expect(error).toBeInstanceOf(ObjectMissingError);
        expect(body.readableEnded).toBe(true);
        await expectNothingStored();
      });

      it('rejects when the key leaves storage, reading nothing', async () => {
        const content = randomBytes(10);
        const body = bodyOf(content);

        await expect(storage.verify('../escape', body, expectedFor(content))).rejects.toThrow(TypeError);
        expect(body.readableEnded).toBe(false);
      });
    });

    describe('stat', () => {
      it('returns the size when the object is stored', async () => {
        const key = await putContent(randomBytes(12345));

        expect(await storage.stat(key)).toEqual({ size: 12345 });
      });

      it('returns undefined when the object is absent', async () => {
        expect(await storage.stat(objectKey('e'.repeat(64)))).toBeUndefined();
      });

      it('returns undefined when the key names a fan-out level of a stored object', async () => {
        const key = await putContent(randomBytes(10));

        expect(await storage.stat(key.slice(0, 2))).toBeUndefined();
      });
    });

    describe('open', () => {
      it('returns the whole object when no range is given', async () => {
        const content = randomBytes(largeSize);
        const key = await putContent(content);

        expect((await buffer(await storage.open(key))).equals(content)).toBe(true);
      });

      it('returns the inclusive byte range when a range is given', async () => {
        const key = await putContent(Buffer.from('0123456789'));

        expect(await text(await storage.open(key, { start: 2, end: 5 }))).toBe('2345');
        // Not bytes=0-0: s3rver 3.7 reads an end of 0 as "to the end" (real S3 does not).
        expect(await text(await storage.open(key, { start: 9, end: 9 }))).toBe('9');
      });

      it('returns up to the last byte when the range ends past it', async () => {
        const key = await putContent(Buffer.from('0123456789'));

        expect(await text(await storage.open(key, { start: 7, end: 100 }))).toBe('789');
      });

      it('rejects with a RangeError when the range starts past the last byte', async () => {
        const key = await putContent(Buffer.from('0123456789'));

        await expect(storage.open(key, { start: 10, end: 20 })).rejects.toThrow(RangeError);
      });

      it('rejects with a RangeError when the range is malformed', async () => {
        const key = await putContent(Buffer.from('0123456789'));

        await expect(storage.open(key, { start: 5, end: 4 })).rejects.toThrow(RangeError);
        await expect(storage.open(key, { start: -1, end: 4 })).rejects.toThrow(RangeError);
      });

      it('rejects with ObjectMissingError when the object is absent', async () => {
        const key = objectKey('f'.repeat(64));

        const error = await rejection(storage.open(key));

        expect(error).toBeInstanceOf(ObjectMissingError);
        expect(error).toMatchObject({ key, code: 'OBJECT_NOT_FOUND' });
      });

      it('rejects with ObjectMissingError when the key names a fan-out level of a stored object', async () => {
        const key = await putContent(randomBytes(10));

        await expect(storage.open(key.slice(0, 5))).rejects.toThrow(ObjectMissingError);
      });

      it('checks the stored size against a recorded one, for the whole object and for a range', async () => {
        const key = await putContent(Buffer.from('0123456789'));

        expect(await text(await storage.open(key, undefined, { size: 10 }))).toBe('0123456789');
        expect(await text(await storage.open(key, { start: 2, end: 5 }, { size: 10 }))).toBe('2345');
        for (const range of [undefined, { start: 2, end: 5 }]) {
          for (const size of [9, 11]) {
            const error = await rejection(storage.open(key, range, { size }));
            expect(error).toBeInstanceOf(StoredSizeMismatchError);
            expect(error).toMatchObject({ key, recordedSize: size, storedSize: 10 });
          }
        }
      });
    });

    describe('delete', () => {
      it('removes the object when it is stored', async () => {
        const key = await putContent(randomBytes(100));

        await storage.delete(key);

        expect(await storage.stat(key)).toBeUndefined();
        expect(await subject.storedKeys()).toEqual([]);
      });

      it('returns when the object is absent', async () => {
        await expect(storage.delete(objectKey('0'.repeat(64)))).resolves.toBeUndefined();
      });
    });

    describe('check', () => {
      it('returns when the backend is reachable and writable', async () => {
        await expect(storage.check()).resolves.toBeUndefined();
      });
    });

    describe('listObjects', () => {
      it('returns every stored object with its size, and nothing for an empty backend', async () => {
        const list = async (): Promise<{ key: string; size: number }[]> => {
          const entries: { key: string; size: number }[] = [];
          for await (const entry of storage.listObjects?.() ?? []) {
            entries.push(entry);
          }
          return entries.sort((a, b) => a.key.localeCompare(b.key));
        };
        expect(await list()).toEqual([]);
        const keys = [await putContent(randomBytes(10)), await putContent(randomBytes(20))];
        expect(await list()).toEqual(
          keys
            .map((key, index) => ({ key, size: (index + 1) * 10 }))
            .sort((a, b) => a.key.localeCompare(b.key)),
        );
        // Quarantined bytes are not objects.
        await storage.quarantine?.(keys[0]);
        expect(await list()).toEqual([{ key: keys[1], size: 20 }]);
      });
    });

    describe('quarantine', () => {
      it('moves the bytes to a quarantine key that open refuses, and returns undefined when absent', async () => {
        const content = randomBytes(1000);
        const key = await putContent(content);
        const movedTo = await storage.quarantine?.(key);
        expect(movedTo).toMatch(new RegExp(`^quarantine/${key.replaceAll('/', '_')}\\.\\d+$`));
        expect(await storage.stat(key)).toBeUndefined();
        await expect(storage.open(movedTo as string)).rejects.toThrow(TypeError);
        expect(await storage.quarantine?.(key)).toBeUndefined();
      });
    });

    describe('storage marker', () => {
      it('reads undefined, then what the first createMarker wrote, which a second one never replaces', async () => {
        expect(await storage.readMarker()).toBeUndefined();
        expect(await storage.createMarker('{"storage_id":"first"}')).toBe('{"storage_id":"first"}');
        expect(await storage.createMarker('{"storage_id":"second"}')).toBe('{"storage_id":"first"}');
        expect(await storage.readMarker()).toBe('{"storage_id":"first"}');
        expect(await subject.leftovers()).toEqual([]);
      });

      it('is no object: listObjects leaves it out and no object key can name it', async () => {
        const key = await putContent(randomBytes(10));
        await storage.createMarker('{}');
        const listed: string[] = [];
        for await (const entry of storage.listObjects?.() ?? []) {
          listed.push(entry.key);
        }
        expect(listed).toEqual([key]);
        expect(isValidKey(STORAGE_MARKER_KEY)).toBe(false);
        await expect(storage.stat(STORAGE_MARKER_KEY)).rejects.toThrow(/Invalid storage key/);
        await expect(storage.delete(STORAGE_MARKER_KEY)).rejects.toThrow(/Invalid storage key/);
      });
    });

    describe('checkStoredObject', () => {
      it('returns intact, corrupt and missing as the stored bytes are', async () => {
        const content = randomBytes(5000);
        const key = await putContent(content);
        expect(await checkStoredObject(storage, key, expectedFor(content))).toBe('intact');
        expect(await checkStoredObject(storage, key, expectedFor(randomBytes(5000)))).toBe('corrupt');
        expect(await checkStoredObject(storage, key, { ...expectedFor(content), size: 4999 })).toBe(
          'corrupt',
        );
        await storage.delete(key);
        expect(await checkStoredObject(storage, key, expectedFor(content))).toBe('missing');
      });
    });
  });
}
