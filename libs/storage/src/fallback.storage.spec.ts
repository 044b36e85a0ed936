import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buffer, text } from 'node:stream/consumers';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { bodyOf, describeObjectStorageContract, expectedFor, rejection } from '@lfs-depot/testing';

import { FallbackStorage } from './fallback.storage.js';
import { LocalStorage } from './local.storage.js';
import { objectKey, TEMP_DIRECTORY } from './object-key.js';
import type { ObjectStorage } from './object-storage.js';
import { ObjectMissingError, StorageVerificationError } from './storage.errors.js';

const MIB = 1024 * 1024;

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

const inTemp = (file: string): boolean => file.startsWith(`${TEMP_DIRECTORY}/`);

// Everything the contract writes goes to the primary; the cases below put objects in the fallback alone.
describeObjectStorageContract(
  FallbackStorage.name,
  async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'fallback-storage-'));
    const [primary, fallback] = [path.join(root, 'primary'), path.join(root, 'fallback')];
    const both = async (): Promise<string[]> => [
      ...(await filesUnder(primary)),
      ...(await filesUnder(fallback)),
    ];
    return {
      storage: new FallbackStorage(new LocalStorage(primary), new LocalStorage(fallback)),
      storedKeys: async () => (await both()).filter((file) => !inTemp(file)).sort(),
      leftovers: async () => (await both()).filter(inTemp),
      close: () => rm(root, { recursive: true, force: true }),
    };
  },
  { largeSize: 3 * MIB },
);

/** A backend that is unreachable: every call rejects. */
function unreachableStorage(): ObjectStorage {
  const down = (): Promise<never> => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9000'));
  return {
    kind: 's3',
    put: down,
    verify: down,
    stat: down,
    open: down,
    delete: down,
    check: down,
    readMarker: down,
    createMarker: down,
  };
}

describe(FallbackStorage.name, () => {
  let root: string;
  let primary: LocalStorage;
  let fallback: LocalStorage;
  let storage: FallbackStorage;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'fallback-storage-'));
    primary = new LocalStorage(path.join(root, 'primary'));
    fallback = new LocalStorage(path.join(root, 'fallback'));
    storage = new FallbackStorage(primary, fallback);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function putInto(backend: ObjectStorage, content: Buffer): Promise<string> {
    const key = objectKey(expectedFor(content).oid);
    await backend.put(key, bodyOf(content), expectedFor(content));
    return key;
  }

  it("takes the primary's kind", () => {
    expect(new FallbackStorage(unreachableStorage(), primary).kind).toBe('s3');
    expect(new FallbackStorage(primary, unreachableStorage()).kind).toBe('file');
  });

  describe('put', () => {
    it('writes to the primary only', async () => {
      const content = randomBytes(1000);

      const key = await putInto(storage, content);

      expect(await primary.stat(key)).toEqual({ size: 1000 });
      expect(await fallback.stat(key)).toBeUndefined();
    });
  });

  describe('stat', () => {
    it("returns the fallback's size when the primary lacks the object", async () => {
      const key = await putInto(fallback, randomBytes(777));

      expect(await storage.stat(key)).toEqual({ size: 777 });
    });

    it('returns undefined when neither has it', async () => {
      expect(await storage.stat(objectKey('a'.repeat(64)))).toBeUndefined();
    });
  });

  describe('open', () => {
    it('reads the fallback when the primary lacks the object', async () => {
      const content = randomBytes(2 * MIB);
      const key = await putInto(fallback, content);

      expect((await buffer(await storage.open(key))).equals(content)).toBe(true);
    });

    it("honours a range on the fallback's copy", async () => {
      const key = await putInto(fallback, Buffer.from('0123456789'));

      expect(await text(await storage.open(key, { start: 3, end: 6 }))).toBe('3456');
    });

    it("reads the primary's copy when both have it, without asking the fallback", async () => {
      const content = randomBytes(1000);
      const key = await putInto(primary, content);

      const onlyPrimary = new FallbackStorage(primary, unreachableStorage());

      expect((await buffer(await onlyPrimary.open(key))).equals(content)).toBe(true);
    });

    it("rejects with the primary's RangeError rather than trying the fallback", async () => {
      const key = await putInto(primary, Buffer.from('0123456789'));

      const onlyPrimary = new FallbackStorage(primary, unreachableStorage());

      await expect(onlyPrimary.open(key, { start: 10, end: 20 })).rejects.toThrow(RangeError);
    });

    it('rejects with ObjectMissingError when neither has it', async () => {
      await expect(storage.open(objectKey('b'.repeat(64)))).rejects.toThrow(ObjectMissingError);
    });

    it("rejects with the primary's error when the primary fails otherwise", async () => {
      const key = await putInto(fallback, randomBytes(10));

      await expect(new FallbackStorage(unreachableStorage(), fallback).open(key)).rejects.toThrow(
        'ECONNREFUSED',
      );
    });
  });

  describe('verify', () => {
    it('counts a copy in the fallback alone as stored, writing nothing', async () => {
      const content = randomBytes(MIB);
      const key = await putInto(fallback, content);

      await storage.verify(key, bodyOf(content), expectedFor(content));

      expect(await primary.stat(key)).toBeUndefined();
      expect(await filesUnder(path.join(root, 'primary'))).toEqual([]);
    });

    it('rejects a forged body even when the fallback holds the object', async () => {
      const content = randomBytes(MIB);
      const key = await putInto(fallback, content);
      const forged = Buffer.from(content);
      forged[5] ^= 1;

      const error = await rejection(storage.verify(key, bodyOf(forged), expectedFor(content)));

      expect(error).toBeInstanceOf(StorageVerificationError);
    });

    it('rejects with ObjectMissingError when neither holds it', async () => {
      const content = randomBytes(100);

      const error = await rejection(
        storage.verify(objectKey(expectedFor(content).oid), bodyOf(content), expectedFor(content)),
      );

      expect(error).toBeInstanceOf(ObjectMissingError);
    });
  });

  describe('delete', () => {
    it('removes both copies, so that a purged object cannot come back through the fallback', async () => {
      const content = randomBytes(100);
      const key = await putInto(fallback, content);
      await putInto(primary, content);

      await storage.delete(key);

      expect(await primary.stat(key)).toBeUndefined();
      expect(await fallback.stat(key)).toBeUndefined();
      expect(await storage.stat(key)).toBeUndefined();
    });

    it('rejects when the fallback cannot delete, so that the purge is retried', async () => {
      const key = await putInto(primary, randomBytes(100));

      await expect(new FallbackStorage(primary, unreachableStorage()).delete(key)).rejects.toThrow(
        'ECONNREFUSED',
      );
      expect(await primary.stat(key)).toBeUndefined();
    });
  });

  describe('listObjects and quarantine', () => {
    it('lists an object once wherever it is, and moves both copies of one aside', async () => {
      const both = randomBytes(100);
      const bothKey = await putInto(fallback, both);
      await putInto(primary, both);
      const fallbackOnlyKey = await putInto(fallback, randomBytes(200));
      const primaryOnlyKey = await putInto(primary, randomBytes(300));

      const listed: { key: string; size: number }[] = [];
      for await (const entry of storage.listObjects()) {
        listed.push(entry);
      }
      expect(listed.sort((a, b) => a.key.localeCompare(b.key))).toEqual(
        [
          { key: bothKey, size: 100 },
          { key: fallbackOnlyKey, size: 200 },
          { key: primaryOnlyKey, size: 300 },
        ].sort((a, b) => a.key.localeCompare(b.key)),
      );

      expect(await storage.quarantine(bothKey)).toMatch(/^quarantine\//);
      expect(await primary.stat(bothKey)).toBeUndefined();
      expect(await fallback.stat(bothKey)).toBeUndefined();
      expect(await storage.quarantine(fallbackOnlyKey)).toMatch(/^quarantine\//);
      expect(await storage.stat(fallbackOnlyKey)).toBeUndefined();
    });
  });

  describe('check', () => {
    it('passes when both backends answer', async () => {
      await expect(storage.check()).resolves.toBeUndefined();
    });

    it('rejects naming STORAGE_FALLBACK when the fallback does not answer', async () => {
      await expect(new FallbackStorage(primary, unreachableStorage()).check()).rejects.toThrow(
        /^STORAGE_FALLBACK is not reachable: connect ECONNREFUSED/,
      );
    });

    it('rejects when the primary does not answer', async () => {
      await expect(new FallbackStorage(unreachableStorage(), fallback).check()).rejects.toThrow(
        'ECONNREFUSED',
      );
    });
  });
});
