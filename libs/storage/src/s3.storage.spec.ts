import { randomBytes } from 'node:crypto';
import { buffer, text } from 'node:stream/consumers';

import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  bodyOf,
  endlessBody,
  expectedFor,
  failingBody,
  rejection,
  stallingBody,
  startS3Server,
  type S3TestServer,
} from '@lfs-depot/testing';

import { objectKey } from './object-key.js';
import { S3Storage } from './s3.storage.js';
import { ObjectMissingError, StorageVerificationError } from './storage.errors.js';

const MIB = 1024 * 1024;
// The smallest part size S3 allows, so that multipart cases need only a few MiB.
const PART_SIZE = 5 * MIB;

describe(S3Storage.name, () => {
  let server: S3TestServer;
  let client: S3Client;
  let storage: S3Storage;
  let prefix: string;
  let testCount = 0;

  function storageFor(bucket: string, storagePrefix: string): S3Storage {
    return new S3Storage({
      bucket,
      prefix: storagePrefix,
      region: server.region,
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: server.credentials,
      partSize: PART_SIZE,
    });
  }

  /** Every key in the bucket under this test's prefix, committed objects only. */
  async function storedKeys(): Promise<string[]> {
    const listing = await client.send(
      new ListObjectsV2Command({ Bucket: server.bucket, Prefix: `${prefix}/` }),
    );
    return (listing.Contents ?? []).map((object) => object.Key ?? '').sort();
  }

  /** Multipart uploads started under this test's prefix and neither completed nor aborted. */
  async function pendingUploads(): Promise<string[]> {
    const listing = await client.send(new ListMultipartUploadsCommand({ Bucket: server.bucket }));
    return (listing.Uploads ?? [])
      .map((upload) => upload.Key ?? '')
      .filter((key) => key.startsWith(`${prefix}/`));
  }

  async function putContent(content: Buffer): Promise<string> {
    const expected = expectedFor(content);
    const key = objectKey(expected.oid);
    await storage.put(key, bodyOf(content), expected);
    return key;
  }

  beforeAll(async () => {
    server = await startS3Server();
    client = new S3Client({
      region: server.region,
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: server.credentials,
    });
  });

  beforeEach(() => {
    testCount += 1;
    prefix = `test-${testCount}`;
    storage = storageFor(server.bucket, `/${prefix}/`);
  });

  afterEach(() => {
    storage.destroy();
  });

  afterAll(async () => {
    client.destroy();
    await server.stop();
  });

  describe('put', () => {
    it('returns after storing the exact bytes under prefix/key when a single-part upload matches', async () => {
      const content = randomBytes(300 * 1024);
      const expected = expectedFor(content);
      const key = objectKey(expected.oid);

      await storage.put(key, bodyOf(content), expected);

      expect(await storedKeys()).toEqual([`${prefix}/${key}`]);
      expect((await buffer(await storage.open(key))).equals(content)).toBe(true);
    });

    it('returns after storing the exact bytes when a multipart upload matches', async () => {
      const content = randomBytes(2 * PART_SIZE + 123);
      const key = await putContent(content);

      expect(await storedKeys()).toEqual([`${prefix}/${key}`]);
      expect((await buffer(await storage.open(key))).equals(content)).toBe(true);
      expect(await pendingUploads()).toEqual([]);
    });

    it('returns after storing the empty object', async () => {
      const key = await putContent(Buffer.alloc(0));

      expect(await storage.stat(key)).toEqual({ size: 0 });
    });

    it('rejects when single-part content does not hash to the oid, committing nothing', async () => {
      const content = randomBytes(MIB);
      const expected = { oid: expectedFor(randomBytes(16)).oid, size: content.length };

      const error = await rejection(storage.put(objectKey(expected.oid), bodyOf(content), expected));

      expect(error).toBeInstanceOf(StorageVerificationError);
      expect(error).toMatchObject({
        reason: 'hash_mismatch',
        actual: { size: content.length, oid: expectedFor(content).oid },
      });
      expect(await storedKeys()).toEqual([]);
      expect(await pendingUploads()).toEqual([]);
    });

    it('rejects when multipart content does not hash to the oid, committing nothing and aborting the upload', async () => {
      const content = randomBytes(2 * PART_SIZE + 123);
      const expected = { oid: expectedFor(randomBytes(16)).oid, size: content.length };

      const error = await rejection(storage.put(objectKey(expected.oid), bodyOf(content), expected));

      expect(error).toMatchObject({
        reason: 'hash_mismatch',
        actual: { size: content.length, oid: expectedFor(content).oid },
      });
      expect(await storedKeys()).toEqual([]);
      expect(await pendingUploads()).toEqual([]);
    });

    it('rejects when the body is shorter than the size, committing nothing and aborting the upload', async () => {
      const content = randomBytes(2 * PART_SIZE + 10);
      const expected = { ...expectedFor(content), size: content.length + 1 };

      const error = await rejection(storage.put(objectKey(expected.oid), bodyOf(content), expected));

      expect(error).toMatchObject({ reason: 'size_mismatch', actual: { size: content.length } });
      expect(await storedKeys()).toEqual([]);
      expect(await pendingUploads()).toEqual([]);
    });

    it('rejects as soon as the body exceeds the size, without reading the rest or leaving parts', async () => {
      const body = endlessBody();
      const expected = { oid: expectedFor(Buffer.from('x')).oid, size: PART_SIZE + MIB };

      const error = await rejection(storage.put(objectKey(expected.oid), body, expected));

      expect(error).toBeInstanceOf(StorageVerificationError);
      expect(error).toMatchObject({ reason: 'size_mismatch' });
      expect(body.destroyed).toBe(true);
      expect(body.produced).toBeLessThan(expected.size + 2 * MIB);
      expect(await storedKeys()).toEqual([]);
      expect(await pendingUploads()).toEqual([]);
    });

    it('rejects with the body error when the body fails after a part was uploaded, leaving nothing', async () => {
      const content = randomBytes(2 * PART_SIZE);
      const reset = new Error('socket hang up');

      const error = await rejection(
        storage.put(
          objectKey(expectedFor(content).oid),
          failingBody(content.subarray(0, PART_SIZE + MIB), reset),
          expectedFor(content),
        ),
      );

      expect(error).toBe(reset);
      expect(await storedKeys()).toEqual([]);
      expect(await pendingUploads()).toEqual([]);
    });

    it('rejects with the abort reason when aborted midway, leaving nothing', async () => {
      const content = randomBytes(2 * PART_SIZE);
      const controller = new AbortController();
      const reason = new Error('client disconnected');
      const body = stallingBody(content.subarray(0, PART_SIZE + MIB));
      body.once('data', () => setTimeout(() => controller.abort(reason), 200));

      const error = await rejection(
        storage.put(objectKey(expectedFor(content).oid), body, expectedFor(content), {
          signal: controller.signal,
        }),
      );

      expect(error).toBe(reason);
      expect(body.destroyed).toBe(true);
      expect(await storedKeys()).toEqual([]);
      expect(await pendingUploads()).toEqual([]);
    });

    it('returns for both when two uploads of the same oid run concurrently, storing one object', async () => {
      const content = randomBytes(PART_SIZE + MIB);
      const expected = expectedFor(content);
      const key = objectKey(expected.oid);

      await Promise.all([
        storage.put(key, bodyOf(content), expected),
        storage.put(key, bodyOf(content), expected),
      ]);

      expect(await storedKeys()).toEqual([`${prefix}/${key}`]);
      expect((await buffer(await storage.open(key))).equals(content)).toBe(true);
      expect(await pendingUploads()).toEqual([]);
    });

    it('rejects when a re-upload of a stored object has other content, keeping the stored object', async () => {
      const content = randomBytes(PART_SIZE + MIB);
      const key = await putContent(content);
      const forged = Buffer.from(content);
      forged[1000] ^= 0xff;

      const error = await rejection(storage.put(key, bodyOf(forged), expectedFor(content)));

      expect(error).toMatchObject({ reason: 'hash_mismatch' });
      expect((await buffer(await storage.open(key))).equals(content)).toBe(true);
      expect(await pendingUploads()).toEqual([]);
    });

    it('rejects when the key would leave the prefix, reading nothing', async () => {
      const content = randomBytes(10);

      await expect(storage.put('../escape', bodyOf(content), expectedFor(content))).rejects.toThrow(
        TypeError,
      );
      expect(await storedKeys()).toEqual([]);
    });
  });

  describe('verify', () => {
    it('returns without writing anything when the body matches the stored object', async () => {
      const content = randomBytes(PART_SIZE + MIB);
      const key = await putContent(content);

      await storage.verify(key, bodyOf(content), expectedFor(content));

      expect(await storedKeys()).toEqual([`${prefix}/${key}`]);
      expect(await pendingUploads()).toEqual([]);
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
      expect(await pendingUploads()).toEqual([]);
    });

    it('rejects when the body is shorter than the size', async () => {
      const content = randomBytes(MIB);
      const key = await putContent(content);

      const error = await rejection(storage.verify(key, bodyOf(content.subarray(1)), expectedFor(content)));

      expect(error).toMatchObject({ reason: 'size_mismatch', actual: { size: content.length - 1 } });
      expect((await buffer(await storage.open(key))).equals(content)).toBe(true);
    });

    it('rejects as soon as the body exceeds the size, without reading the rest', async () => {
      const content = randomBytes(MIB);
      const key = await putContent(content);
      const body = endlessBody();

      const error = await rejection(storage.verify(key, body, expectedFor(content)));

      expect(error).toMatchObject({ reason: 'size_mismatch' });
      expect(body.destroyed).toBe(true);
      expect(body.produced).toBeLessThan(content.length + 2 * MIB);
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
      const content = randomBytes(PART_SIZE + MIB);
      const expected = expectedFor(content);
      const body = bodyOf(content);

      const error = await rejection(storage.verify(objectKey(expected.oid), body, expected));

      expect(error).toBeInstanceOf(ObjectMissingError);
      expect(body.readableEnded).toBe(true);
      expect(await storedKeys()).toEqual([]);
      expect(await pendingUploads()).toEqual([]);
    });

    it('rejects when the key would leave the prefix, reading nothing', async () => {
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
  });

  describe('open', () => {
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

    it('rejects with ObjectMissingError when the object is absent', async () => {
      const key = objectKey('f'.repeat(64));

      const error = await rejection(storage.open(key));

      expect(error).toBeInstanceOf(ObjectMissingError);
      expect(error).toMatchObject({ key, code: 'OBJECT_NOT_FOUND' });
    });
  });

  describe('delete', () => {
    it('removes the object when it is stored', async () => {
      const key = await putContent(randomBytes(100));

      await storage.delete(key);

      expect(await storage.stat(key)).toBeUndefined();
      expect(await storedKeys()).toEqual([]);
    });

    it('returns when the object is absent', async () => {
      await expect(storage.delete(objectKey('0'.repeat(64)))).resolves.toBeUndefined();
    });
  });

  describe('check', () => {
    it('returns when the bucket is reachable', async () => {
      await expect(storage.check()).resolves.toBeUndefined();
    });

    it('rejects when the bucket does not exist', async () => {
      const missing = storageFor('no-such-bucket', prefix);
      try {
        await expect(missing.check()).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
      } finally {
        missing.destroy();
      }
    });
  });
});
