import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { bodyOf, endlessBody, expectedFor, failingBody, rejection, stallingBody } from '@lfs-depot/testing';

import { LocalStorage } from './local.storage.js';
import { objectKey } from './object-key.js';
import { ObjectMissingError, StorageVerificationError } from './storage.errors.js';

const MIB = 1024 * 1024;

describe(LocalStorage.name, () => {
  let root: string;
  let storage: LocalStorage;

  /** Every regular file under the root, relative and sorted; the tmp folder itself does not count. */
  async function storedFiles(): Promise<string[]> {
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
      .sort();
  }

  async function putContent(content: Buffer): Promise<string> {
    const expected = expectedFor(content);
    const key = objectKey(expected.oid);
    await storage.put(key, bodyOf(content), expected);
    return key;
  }

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'local-storage-'));
    storage = new LocalStorage(root);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  describe('put', () => {
    it('returns after storing the exact bytes under the fanned-out key when size and oid match', async () => {
      const content = randomBytes(3 * MIB + 17);
      const expected = expectedFor(content);
      const key = objectKey(expected.oid);

      await storage.put(key, bodyOf(content), expected);

      expect(await storedFiles()).toEqual([path.join(...key.split('/'))]);
      expect((await readFile(path.join(root, key))).equals(content)).toBe(true);
      expect(await readdir(path.join(root, 'tmp'))).toEqual([]);
    });

    it('returns after storing the object and its folders readable by their owner only', async () => {
      const key = await putContent(randomBytes(1024));
      const [fanOut, subFolder] = key.split('/');

      expect((await stat(path.join(root, key))).mode & 0o777).toBe(0o600);
      for (const folder of [fanOut ?? '', path.join(fanOut ?? '', subFolder ?? ''), 'tmp']) {
        expect({ folder, mode: (await stat(path.join(root, folder))).mode & 0o777 }).toEqual({
          folder,
          mode: 0o700,
        });
      }
    });

    it('returns after storing the empty object', async () => {
      const key = await putContent(Buffer.alloc(0));

      expect(await storage.stat(key)).toEqual({ size: 0 });
    });

    it('rejects when the content does not hash to the oid, leaving no file behind', async () => {
      const content = randomBytes(2 * MIB);
      const expected = { oid: expectedFor(randomBytes(16)).oid, size: content.length };

      const error = await rejection(storage.put(objectKey(expected.oid), bodyOf(content), expected));

      expect(error).toBeInstanceOf(StorageVerificationError);
      expect(error).toMatchObject({
        reason: 'hash_mismatch',
        actual: { size: content.length, oid: expectedFor(content).oid },
      });
      expect(await storedFiles()).toEqual([]);
    });

    it('rejects when the body is shorter than the size, leaving no file behind', async () => {
      const content = randomBytes(MIB);
      const expected = { ...expectedFor(content), size: content.length + 1 };

      const error = await rejection(storage.put(objectKey(expected.oid), bodyOf(content), expected));

      expect(error).toMatchObject({ reason: 'size_mismatch', actual: { size: content.length } });
      expect(await storedFiles()).toEqual([]);
    });

    it('rejects as soon as the body exceeds the size, without reading the rest', async () => {
      const body = endlessBody();
      const expected = { oid: expectedFor(Buffer.from('x')).oid, size: 2 * MIB };

      const error = await rejection(storage.put(objectKey(expected.oid), body, expected));

      expect(error).toBeInstanceOf(StorageVerificationError);
      expect(error).toMatchObject({ reason: 'size_mismatch' });
      expect((error as StorageVerificationError).actual.size).toBeGreaterThan(2 * MIB);
      expect(body.destroyed).toBe(true);
      // What the stream buffers hold at most: the verifier's and the body's high-water marks.
      expect(body.produced).toBeLessThan(2 * MIB + 2 * MIB);
      expect(await storedFiles()).toEqual([]);
    });

    it('rejects with the body error when the body fails midway, leaving no file behind', async () => {
      const content = randomBytes(2 * MIB);
      const reset = new Error('socket hang up');

      const error = await rejection(
        storage.put(
          objectKey(expectedFor(content).oid),
          failingBody(content.subarray(0, MIB), reset),
          expectedFor(content),
        ),
      );

      expect(error).toBe(reset);
      expect(await storedFiles()).toEqual([]);
    });

    it('rejects with the abort reason when aborted midway, leaving no file behind', async () => {
      const content = randomBytes(2 * MIB);
      const controller = new AbortController();
      const reason = new Error('client disconnected');
      const body = stallingBody(content.subarray(0, MIB));
      body.once('data', () => setTimeout(() => controller.abort(reason), 20));

      const error = await rejection(
        storage.put(objectKey(expectedFor(content).oid), body, expectedFor(content), {
          signal: controller.signal,
        }),
      );

      expect(error).toBe(reason);
      expect(body.destroyed).toBe(true);
      expect(await storedFiles()).toEqual([]);
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
      expect(await storedFiles()).toEqual([]);
    });

    it('returns for both when two uploads of the same oid run concurrently, storing one file', async () => {
      const content = randomBytes(4 * MIB);
      const expected = expectedFor(content);
      const key = objectKey(expected.oid);

      await Promise.all([
        storage.put(key, bodyOf(content), expected),
        storage.put(key, bodyOf(content), expected),
      ]);

      expect(await storedFiles()).toEqual([path.join(...key.split('/'))]);
      expect((await readFile(path.join(root, key))).equals(content)).toBe(true);
    });

    it('rejects when a re-upload of a stored object has other content, keeping the stored object', async () => {
      const content = randomBytes(MIB);
      const key = await putContent(content);
      const forged = Buffer.from(content);
      forged[1000] ^= 0xff;

      const error = await rejection(storage.put(key, bodyOf(forged), expectedFor(content)));

      expect(error).toMatchObject({ reason: 'hash_mismatch' });
      expect((await readFile(path.join(root, key))).equals(content)).toBe(true);
    });

    it.each(['../escape', 'ab/../../escape', '/etc/passwd', 'tmp/planted'])(
      'rejects when the key is %p, reading nothing',
      async (key) => {
        const content = randomBytes(10);

        await expect(storage.put(key, bodyOf(content), expectedFor(content))).rejects.toThrow(TypeError);
        expect(await storedFiles()).toEqual([]);
      },
    );
  });

  describe('verify', () => {
    it('returns without writing anything when the body matches the stored object', async () => {
      const content = randomBytes(MIB + 5);
      const key = await putContent(content);
      const before = await stat(path.join(root, key));

      await storage.verify(key, bodyOf(content), expectedFor(content));

      const after = await stat(path.join(root, key));
      expect(after.ino).toBe(before.ino);
      expect(after.mtimeMs).toBe(before.mtimeMs);
      expect(await storedFiles()).toEqual([path.join(...key.split('/'))]);
    });

    it('rejects when the body does not hash to the oid, keeping the stored object', async () => {
      const content = randomBytes(MIB);
      const key = await putContent(content);
      const forged = Buffer.from(content);
      forged[1000] ^= 0xff;

      const error = await rejection(storage.verify(key, bodyOf(forged), expectedFor(content)));

      expect(error).toBeInstanceOf(StorageVerificationError);
      expect(error).toMatchObject({ reason: 'hash_mismatch', actual: { oid: expectedFor(forged).oid } });
      expect((await readFile(path.join(root, key))).equals(content)).toBe(true);
      expect(await storedFiles()).toEqual([path.join(...key.split('/'))]);
    });

    it('rejects when the body is shorter than the size', async () => {
      const content = randomBytes(MIB);
      const key = await putContent(content);

      const error = await rejection(storage.verify(key, bodyOf(content.subarray(1)), expectedFor(content)));

      expect(error).toMatchObject({ reason: 'size_mismatch', actual: { size: content.length - 1 } });
      expect((await readFile(path.join(root, key))).equals(content)).toBe(true);
    });

    it('rejects as soon as the body exceeds the size, without reading the rest', async () => {
      const content = randomBytes(2 * MIB);
      const key = await putContent(content);
      const body = endlessBody();

      const error = await rejection(storage.verify(key, body, expectedFor(content)));

      expect(error).toMatchObject({ reason: 'size_mismatch' });
      expect(body.destroyed).toBe(true);
      expect(body.produced).toBeLessThan(2 * MIB + 2 * MIB);
      expect((await readFile(path.join(root, key))).equals(content)).toBe(true);
    });

    it('rejects with the body error when the body fails midway', async () => {
      const content = randomBytes(2 * MIB);
      const key = await putContent(content);
      const reset = new Error('socket hang up');

      const error = await rejection(
        storage.verify(key, failingBody(content.subarray(0, MIB), reset), expectedFor(content)),
      );

      expect(error).toBe(reset);
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
      const content = randomBytes(MIB);
      const expected = expectedFor(content);
      const body = bodyOf(content);

      const error = await rejection(storage.verify(objectKey(expected.oid), body, expected));

      expect(error).toBeInstanceOf(ObjectMissingError);
      expect(body.readableEnded).toBe(true);
      expect(await storedFiles()).toEqual([]);
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

    it('returns undefined when the key names a fan-out folder', async () => {
      const key = await putContent(randomBytes(10));

      expect(await storage.stat(key.slice(0, 2))).toBeUndefined();
    });
  });

  describe('open', () => {
    it('returns the whole object when no range is given', async () => {
      const content = randomBytes(3 * MIB);
      const key = await putContent(content);

      const chunks: Buffer[] = [];
      for await (const chunk of await storage.open(key)) {
        chunks.push(chunk as Buffer);
      }

      expect(Buffer.concat(chunks).equals(content)).toBe(true);
    });

    it('returns the inclusive byte range when a range is given', async () => {
      const key = await putContent(Buffer.from('0123456789'));

      expect(await text(await storage.open(key, { start: 2, end: 5 }))).toBe('2345');
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

    it('rejects with ObjectMissingError when the key names a folder', async () => {
      const key = await putContent(randomBytes(10));

      await expect(storage.open(key.slice(0, 5))).rejects.toThrow(ObjectMissingError);
    });
  });

  describe('delete', () => {
    it('removes the object when it is stored', async () => {
      const key = await putContent(randomBytes(100));

      await storage.delete(key);

      expect(await storage.stat(key)).toBeUndefined();
      expect(await storedFiles()).toEqual([]);
    });

    it('returns when the object is absent', async () => {
      await expect(storage.delete(objectKey('0'.repeat(64)))).resolves.toBeUndefined();
    });
  });

  describe('check', () => {
    it('returns when the root is writable, creating it if needed', async () => {
      const nested = new LocalStorage(path.join(root, 'not', 'yet'));

      await nested.check();

      expect(await readdir(path.join(root, 'not', 'yet', 'tmp'))).toEqual([]);
    });

    it('rejects when the root cannot hold folders', async () => {
      const file = path.join(root, 'a-file');
      await writeFile(file, '');

      await expect(new LocalStorage(file).check()).rejects.toMatchObject({ code: 'ENOTDIR' });
    });
  });
});
