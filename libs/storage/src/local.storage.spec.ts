import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { bodyOf, describeObjectStorageContract, expectedFor } from '@lfs-depot/testing';

import { LocalStorage, makeDurableFolder } from './local.storage.js';
import { objectKey, TEMP_DIRECTORY } from './object-key.js';
import { SMALL_READ_MAX } from './object-storage.js';
import { ObjectMissingError } from './storage.errors.js';

const MIB = 1024 * 1024;

/** Every regular file under `root`, relative with '/' separators and sorted. */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

describeObjectStorageContract(
  LocalStorage.name,
  async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'local-storage-'));
    const inTemp = (file: string): boolean => file.startsWith(`${TEMP_DIRECTORY}/`);
    return {
      storage: new LocalStorage(root),
      storedKeys: async () => (await filesUnder(root)).filter((file) => !inTemp(file)),
      leftovers: async () => (await filesUnder(root)).filter(inTemp),
      close: () => rm(root, { recursive: true, force: true }),
    };
  },
  { largeSize: 3 * MIB },
);

describe(LocalStorage.name, () => {
  let root: string;
  let storage: LocalStorage;

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

  describe('sweepTempFiles', () => {
    it('removes temp files older than the age, never a young one or one of an upload in progress', async () => {
      const tempDir = path.join(root, TEMP_DIRECTORY);
      await mkdir(tempDir, { recursive: true });
      const dayAgo = new Date(Date.now() - 25 * 3600 * 1000);
      for (const name of ['crashed-1.part', 'crashed-2.part', 'young.part', 'not-a-temp-file']) {
        await writeFile(path.join(tempDir, name), 'partial');
        if (name !== 'young.part') {
          await utimes(path.join(tempDir, name), dayAgo, dayAgo);
        }
      }
      // An upload whose body stalls: its temp file is as old as the crashed ones. Larger than a small object, whose
      // temp file exists only once its bytes are verified.
      const content = randomBytes(MIB + 1000);
      const body = new PassThrough();
      const upload = storage.put(objectKey(expectedFor(content).oid), body, expectedFor(content));
      body.write(content.subarray(0, 10));
      let stalled: string | undefined;
      while (stalled === undefined) {
        await new Promise((resolve) => setImmediate(resolve));
        stalled = (await readdir(tempDir)).find(
          (name) =>
            name.endsWith('.part') && !['crashed-1.part', 'crashed-2.part', 'young.part'].includes(name),
        );
      }
      await utimes(path.join(tempDir, stalled), dayAgo, dayAgo);

      expect(await storage.sweepTempFiles(24 * 3600 * 1000)).toBe(2);
      expect((await readdir(tempDir)).sort()).toEqual(['not-a-temp-file', stalled, 'young.part'].sort());
      body.end(content.subarray(10));
      await upload;
      expect(await readFile(path.join(root, objectKey(expectedFor(content).oid)))).toEqual(content);
    });

    it('returns 0 when no upload ever made the temp folder', async () => {
      expect(await storage.sweepTempFiles(0)).toBe(0);
    });
  });

  describe('put', () => {
    it('stores an object as one plain file at root/<key>, fanned out, with an empty tmp folder', async () => {
      const content = randomBytes(MIB + 17);
      const key = await putContent(content);

      expect(await filesUnder(root)).toEqual([key]);
      expect((await readFile(path.join(root, ...key.split('/')))).equals(content)).toBe(true);
      expect(await readdir(path.join(root, TEMP_DIRECTORY))).toEqual([]);
    });

    it('returns after storing the object and its folders readable by their owner only', async () => {
      const key = await putContent(randomBytes(1024));
      const [fanOut, subFolder] = key.split('/');

      expect((await stat(path.join(root, key))).mode & 0o777).toBe(0o600);
      for (const folder of [fanOut ?? '', path.join(fanOut ?? '', subFolder ?? ''), TEMP_DIRECTORY]) {
        expect({ folder, mode: (await stat(path.join(root, folder))).mode & 0o777 }).toEqual({
          folder,
          mode: 0o700,
        });
      }
    });

    it('touches no disk for a small object whose bytes do not match: not even the tmp folder', async () => {
      const content = randomBytes(4096);
      const expected = { ...expectedFor(content), size: content.length + 1 };

      await expect(storage.put(objectKey(expected.oid), bodyOf(content), expected)).rejects.toMatchObject({
        reason: 'size_mismatch',
      });

      expect(await readdir(root)).toEqual([]);
    });
  });

  describe('open', () => {
    it('reads a small object, or a short range, with a buffer of its size, and a large one 1 MiB at a time', async () => {
      const small = randomBytes(4096);
      const large = randomBytes(3 * MIB);
      const [smallKey, largeKey] = [await putContent(small), await putContent(large)];

      const streams = [
        await storage.open(smallKey),
        await storage.open(largeKey, { start: 10, end: 109 }),
        await storage.open(largeKey),
      ];
      const chunkSizes = await Promise.all(
        streams.map(async (stream) => {
          const sizes: number[] = [];
          for await (const chunk of stream) {
            sizes.push((chunk as Buffer).length);
          }
          return sizes;
        }),
      );

      expect(streams.map((stream) => stream.readableHighWaterMark)).toEqual([4096, 100, MIB]);
      expect(chunkSizes).toEqual([[4096], [100], [MIB, MIB, MIB]]);
    });
  });

  describe('readSmall', () => {
    /** Writes `content` under `key` as it lies on disk, whatever size was recorded for it. */
    async function storeAs(key: string, content: Buffer): Promise<void> {
      const file = path.join(root, ...key.split('/'));
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
    }

    async function openDescriptors(): Promise<number> {
      return (await readdir('/proc/self/fd')).length;
    }

    it('returns the whole object when its stored bytes are of its recorded size', async () => {
      const content = randomBytes(4096);
      const key = await putContent(content);

      expect((await storage.readSmall(key, 4096)).equals(content)).toBe(true);
    });

    it('returns fewer bytes than recorded when the stored file is shorter', async () => {
      const key = objectKey(expectedFor(randomBytes(8)).oid);
      const content = randomBytes(1000);
      await storeAs(key, content);

      expect((await storage.readSmall(key, 4000)).equals(content)).toBe(true);
    });

    it('returns one byte more than recorded when the stored file is longer', async () => {
      const key = objectKey(expectedFor(randomBytes(8)).oid);
      const content = randomBytes(5000);
      await storeAs(key, content);

      expect((await storage.readSmall(key, 4000)).equals(content.subarray(0, 4001))).toBe(true);
    });

    it('reads an empty object as empty, and a byte stored for it as one too many', async () => {
      const empty = await putContent(Buffer.alloc(0));
      const key = objectKey(expectedFor(randomBytes(8)).oid);
      await storeAs(key, Buffer.from('x'));

      expect((await storage.readSmall(empty, 0)).length).toBe(0);
      expect((await storage.readSmall(key, 0)).toString()).toBe('x');
    });

    it('rejects with ObjectMissingError when nothing, or a folder, is under the key', async () => {
      const missing = objectKey(expectedFor(randomBytes(8)).oid);
      const folder = objectKey(expectedFor(randomBytes(8)).oid);
      await mkdir(path.join(root, ...folder.split('/')), { recursive: true });

      await expect(storage.readSmall(missing, 10)).rejects.toBeInstanceOf(ObjectMissingError);
      await expect(storage.readSmall(folder, 10)).rejects.toBeInstanceOf(ObjectMissingError);
    });

    it('rejects with a RangeError a size over SMALL_READ_MAX, reading nothing', async () => {
      const key = await putContent(randomBytes(SMALL_READ_MAX + 1));

      await expect(storage.readSmall(key, SMALL_READ_MAX + 1)).rejects.toBeInstanceOf(RangeError);
      await expect(storage.readSmall(key, -1)).rejects.toBeInstanceOf(RangeError);
    });

    it('closes its descriptor whatever it found', async () => {
      const key = await putContent(randomBytes(100));
      const folder = objectKey(expectedFor(randomBytes(8)).oid);
      await mkdir(path.join(root, ...folder.split('/')), { recursive: true });
      const before = await openDescriptors();

      await storage.readSmall(key, 100);
      await storage.readSmall(key, 50);
      await storage.readSmall(folder, 10).catch(() => undefined);

      expect(await openDescriptors()).toBe(before);
    });
  });

  describe('verify', () => {
    it('leaves the stored file untouched (same inode and modification time) when the body matches', async () => {
      const content = randomBytes(MIB + 5);
      const key = await putContent(content);
      const before = await stat(path.join(root, key));

      await storage.verify(key, bodyOf(content), expectedFor(content));

      const after = await stat(path.join(root, key));
      expect(after.ino).toBe(before.ino);
      expect(after.mtimeMs).toBe(before.mtimeMs);
      expect(await filesUnder(root)).toEqual([key]);
    });
  });

  describe('check', () => {
    it('returns when the root is writable, creating it if needed', async () => {
      const nested = new LocalStorage(path.join(root, 'not', 'yet'));

      await nested.check();

      expect(await readdir(path.join(root, 'not', 'yet', TEMP_DIRECTORY))).toEqual([]);
    });

    it('rejects when the root cannot hold folders', async () => {
      const file = path.join(root, 'a-file');
      await writeFile(file, '');

      await expect(new LocalStorage(file).check()).rejects.toMatchObject({ code: 'ENOTDIR' });
    });
  });
});

describe(makeDurableFolder.name, () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'lfs-durable-folder-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('syncs the parent of every folder it creates, so each new entry survives a crash', async () => {
    const synced: string[] = [];
    const folder = path.join(root, 'objects', 'ab', 'cd');

    await makeDurableFolder(folder, (directory) => {
      synced.push(directory);
      return Promise.resolve();
    });

    expect((await stat(folder)).isDirectory()).toBe(true);
    expect(synced).toEqual([path.join(root, 'objects', 'ab'), path.join(root, 'objects'), root]);
  });

  it('syncs nothing when the folder is there already', async () => {
    const folder = path.join(root, 'ab');
    await mkdir(folder);
    const synced: string[] = [];

    await makeDurableFolder(folder, (directory) => {
      synced.push(directory);
      return Promise.resolve();
    });

    expect(synced).toEqual([]);
  });
});
