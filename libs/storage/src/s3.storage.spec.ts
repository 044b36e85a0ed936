import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { buffer } from 'node:stream/consumers';

import {
  bodyOf,
  describeObjectStorageContract,
  endlessBody,
  eventually,
  expectedFor,
  expectFailedUploadsToKeepWhatIsStored,
  rejection,
  stallingBody,
  startS3Server,
  type S3TestServer,
  s3ConnectionOf,
} from '@lfs-depot/testing';

import { MULTIPART_UPLOAD_MAX_AGE_MS, objectKey } from './object-key.js';
import { PartBufferPool } from './part-buffer-pool.js';
import { S3_MAX_PART_SIZE, S3Storage } from './s3.storage.js';
import { StorageVerificationError } from './storage.errors.js';

const MIB = 1024 * 1024;
// The smallest part size S3 allows, so that multipart cases need only a few MiB.
const PART_SIZE = 5 * MIB;

let server: S3TestServer;
let client: S3Client;
let testCount = 0;

function storageFor(
  bucket: string,
  prefix: string,
  partBuffers?: PartBufferPool,
  singlePutMax?: number,
): S3Storage {
  return new S3Storage({
    partBuffers,
    singlePutMax,
    bucket,
    prefix,
    ...s3ConnectionOf(server),
    partSize: PART_SIZE,
  });
}

/** A prefix no other test has used, so that each test sees an empty bucket. */
function freshPrefix(): string {
  testCount += 1;
  return `test-${testCount}`;
}

beforeAll(async () => {
  server = await startS3Server();
  client = new S3Client({
    ...s3ConnectionOf(server),
  });
});

afterAll(async () => {
  client.destroy();
  await server.stop();
});

/**
 * A fresh prefix's storage for the contract, with what the contract inspects. `singlePutMax` undefined keeps the
 * default, under which large objects stream as one PutObject; `PART_SIZE` makes them multipart uploads.
 */
function contractHarness(singlePutMax?: number) {
  const prefix = freshPrefix();
  // Surrounding slashes are ignored: the objects land under `${prefix}/`.
  const storage = storageFor(server.bucket, `/${prefix}/`, undefined, singlePutMax);
  return Promise.resolve({
    storage,
    /** Committed objects under this test's prefix, with the prefix removed. */
    async storedKeys() {
      const listing = await client.send(
        new ListObjectsV2Command({ Bucket: server.bucket, Prefix: `${prefix}/` }),
      );
      return (listing.Contents ?? []).map((object) => (object.Key ?? '').slice(prefix.length + 1)).sort();
    },
    /** Multipart uploads started under this test's prefix and neither completed nor aborted. */
    async leftovers() {
      const listing = await client.send(new ListMultipartUploadsCommand({ Bucket: server.bucket }));
      return (listing.Uploads ?? [])
        .map((upload) => upload.Key ?? '')
        .filter((key) => key.startsWith(`${prefix}/`));
    },
    close: () => {
      storage.destroy();
      return Promise.resolve();
    },
  });
}

describeObjectStorageContract(
  `${S3Storage.name} (large objects streamed as one PutObject)`,
  () => contractHarness(),
  // Two full parts and a bit: above one part, so the large cases are streamed through a temporary key.
  { largeSize: 2 * PART_SIZE + 123 },
);

describeObjectStorageContract(
  `${S3Storage.name} (large objects as multipart uploads)`,
  () => contractHarness(PART_SIZE),
  // Two full parts and a bit: the large cases are multipart uploads of three parts.
  { largeSize: 2 * PART_SIZE + 123 },
);

describe(S3Storage.name, () => {
  describe('check', () => {
    it('rejects when the bucket does not exist', async () => {
      const missing = storageFor('no-such-bucket', freshPrefix());
      try {
        await expect(missing.check()).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
      } finally {
        missing.destroy();
      }
    });
  });

  describe('part buffers', () => {
    it('shares one bounded pool: an upload waits for buffers rather than allocating past it', async () => {
      // Room for one 5 MiB part at a time, for two multipart uploads of three parts each.
      const pool = new PartBufferPool(PART_SIZE);
      const storage = storageFor(server.bucket, freshPrefix(), pool, PART_SIZE);
      try {
        const contents = [randomBytes(12 * MIB), randomBytes(12 * MIB)];
        const uploads = contents.map((content, index) =>
          storage.put(`pool/object-${index}`, bodyOf(content), expectedFor(content)),
        );
        await eventually(() => pool.waiters >= 1);
        await Promise.all(uploads);
        expect(pool.peakReserved).toBe(PART_SIZE);
        expect(pool.allocated).toBe(PART_SIZE);
        expect(pool.reserved).toBe(0);
        for (const [index, content] of contents.entries()) {
          const stored = await storage.open(`pool/object-${index}`);
          expect((await buffer(stored)).equals(content)).toBe(true);
        }
      } finally {
        storage.destroy();
      }
    });

    it('caps the part size: a huge declared size reserves at most one 64 MiB part before the size check fails', async () => {
      const storage = storageFor(server.bucket, freshPrefix());
      try {
        const content = randomBytes(MIB);
        const put = storage.put('aa/bb/huge', bodyOf(content), {
          ...expectedFor(content),
          size: 600 * 1024 * MIB,
        });
        await expect(put).rejects.toBeInstanceOf(StorageVerificationError);
        expect(storage.partBuffers.peakReserved).toBeGreaterThan(0);
        expect(storage.partBuffers.peakReserved).toBeLessThanOrEqual(S3_MAX_PART_SIZE);
        expect(storage.partBuffers.reserved).toBe(0);
      } finally {
        storage.destroy();
      }
    });

    it('refuses an object too large for 10,000 parts of 64 MiB before reading or reserving anything', async () => {
      const storage = storageFor(server.bucket, freshPrefix());
      try {
        const body = endlessBody();
        const put = storage.put('aa/bb/too-huge', body, { oid: 'a'.repeat(64), size: 5 * 1024 ** 4 });
        await expect(put).rejects.toThrow(/needs parts over 64 MiB/);
        expect(body.produced).toBe(0);
        expect(storage.partBuffers.peakReserved).toBe(0);
        body.destroy();
      } finally {
        storage.destroy();
      }
    });
  });

  describe('streamed uploads', () => {
    /** Every key under `prefix/`, temporary ones included. */
    async function keysUnder(prefix: string): Promise<string[]> {
      const listing = await client.send(
        new ListObjectsV2Command({ Bucket: server.bucket, Prefix: `${prefix}/` }),
      );
      return (listing.Contents ?? []).map((object) => (object.Key ?? '').slice(prefix.length + 1)).sort();
    }

    it('stores the object without part buffers and leaves no temporary object', async () => {
      const prefix = freshPrefix();
      const storage = storageFor(server.bucket, prefix);
      try {
        const content = randomBytes(3 * PART_SIZE + 7);
        const key = objectKey(expectedFor(content).oid);
        await storage.put(key, bodyOf(content), expectedFor(content));
        expect(await keysUnder(prefix)).toEqual([key]);
        expect((await buffer(await storage.open(key))).equals(content)).toBe(true);
        expect(storage.partBuffers.peakReserved).toBe(0);
      } finally {
        storage.destroy();
      }
    });

    it('stores nothing and keeps the stored object when the upload fails or aborts at any stage', async () => {
      const prefix = freshPrefix();
      const storage = storageFor(server.bucket, prefix);
      try {
        await expectFailedUploadsToKeepWhatIsStored(storage, {
          size: 2 * PART_SIZE + 5,
          partSize: PART_SIZE,
          keysUnder: () => keysUnder(prefix),
        });
        expect(storage.partBuffers.peakReserved).toBe(0);
      } finally {
        storage.destroy();
      }
    });
  });

  describe('sweepTempFiles', () => {
    /** Multipart uploads open under `prefix/`, by key. */
    async function openUploads(prefix: string): Promise<string[]> {
      const listing = await client.send(new ListMultipartUploadsCommand({ Bucket: server.bucket }));
      return (listing.Uploads ?? [])
        .map((upload) => upload.Key ?? '')
        .filter((key) => key.startsWith(`${prefix}/`))
        .sort();
    }

    /** A multipart upload with one part, as an upload cut off by kill -9 leaves it. */
    async function crashedUpload(key: string): Promise<void> {
      const { UploadId } = await client.send(
        new CreateMultipartUploadCommand({ Bucket: server.bucket, Key: key }),
      );
      await client.send(
        new UploadPartCommand({
          Bucket: server.bucket,
          Key: key,
          UploadId,
          PartNumber: 1,
          Body: randomBytes(1024),
        }),
      );
    }

    const later = (): number => Date.now() + MULTIPART_UPLOAD_MAX_AGE_MS + 60_000;

    it('aborts the multipart uploads under its prefix older than the age given, and only those', async () => {
      const prefix = freshPrefix();
      const other = freshPrefix();
      const storage = storageFor(server.bucket, prefix);
      try {
        await crashedUpload(`${prefix}/aa/bb/crashed`);
        await crashedUpload(`${other}/aa/bb/someone-elses`);

        expect(await storage.sweepTempFiles(MULTIPART_UPLOAD_MAX_AGE_MS)).toBe(0);
        expect(await openUploads(prefix)).toEqual([`${prefix}/aa/bb/crashed`]);

        expect(await storage.sweepTempFiles(MULTIPART_UPLOAD_MAX_AGE_MS, later())).toBe(1);
        expect(await openUploads(prefix)).toEqual([]);
        expect(await openUploads(other)).toEqual([`${other}/aa/bb/someone-elses`]);
      } finally {
        storage.destroy();
      }
    });

    it('deletes the temporary objects under its prefix older than the age given, and only those', async () => {
      const prefix = freshPrefix();
      const storage = storageFor(server.bucket, prefix);
      try {
        for (const key of [
          `${prefix}/tmp/crashed`,
          `${prefix}/aa/bb/stored`,
          `${prefix}-other/tmp/someone-elses`,
        ]) {
          await client.send(
            new PutObjectCommand({ Bucket: server.bucket, Key: key, Body: randomBytes(1024) }),
          );
        }
        expect(await storage.sweepTempFiles(MULTIPART_UPLOAD_MAX_AGE_MS)).toBe(0);
        const leftovers = [];
        for await (const entry of storage.listTempLeftovers(MULTIPART_UPLOAD_MAX_AGE_MS, later())) {
          leftovers.push(entry);
        }
        expect(leftovers).toEqual([{ key: `${prefix}/tmp/crashed`, size: 1024 }]);

        expect(await storage.sweepTempFiles(MULTIPART_UPLOAD_MAX_AGE_MS, later())).toBe(1);
        const left = await client.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix }));
        expect((left.Contents ?? []).map((object) => object.Key).sort()).toEqual([
          `${prefix}-other/tmp/someone-elses`,
          `${prefix}/aa/bb/stored`,
        ]);
      } finally {
        storage.destroy();
      }
    });

    it('never deletes the temporary object of a streamed upload this process is still writing', async () => {
      const prefix = freshPrefix();
      const storage = storageFor(server.bucket, prefix);
      const controller = new AbortController();
      try {
        const put = rejection(
          storage.put(
            'aa/bb/in-progress',
            stallingBody(randomBytes(PART_SIZE)),
            { oid: 'a'.repeat(64), size: 3 * PART_SIZE },
            { signal: controller.signal },
          ),
        );
        const temporary = async (): Promise<string[]> => {
          const listing = await client.send(
            new ListObjectsV2Command({ Bucket: server.bucket, Prefix: `${prefix}/tmp/` }),
          );
          return (listing.Contents ?? []).map((object) => object.Key ?? '');
        };
        await eventually(async () => (await temporary()).length === 1);

        expect(await storage.sweepTempFiles(MULTIPART_UPLOAD_MAX_AGE_MS, later())).toBe(0);
        expect(await temporary()).toHaveLength(1);

        controller.abort();
        await put;
        expect(await temporary()).toEqual([]);
      } finally {
        storage.destroy();
      }
    });

    it('never aborts the multipart upload of an upload this process is still writing', async () => {
      const prefix = freshPrefix();
      const storage = storageFor(server.bucket, prefix, undefined, PART_SIZE);
      const controller = new AbortController();
      try {
        // More than a part arrives, then nothing: the first part is sent and the writer waits for more.
        const body = stallingBody(randomBytes(PART_SIZE + 1024));
        const put = rejection(
          storage.put(
            'aa/bb/in-progress',
            body,
            { oid: 'a'.repeat(64), size: 3 * PART_SIZE },
            {
              signal: controller.signal,
            },
          ),
        );
        await eventually(async () => (await openUploads(prefix)).length === 1);

        expect(await storage.sweepTempFiles(MULTIPART_UPLOAD_MAX_AGE_MS, later())).toBe(0);
        expect(await openUploads(prefix)).toEqual([`${prefix}/aa/bb/in-progress`]);

        controller.abort();
        await put;
        expect(await openUploads(prefix)).toEqual([]);
      } finally {
        storage.destroy();
      }
    });
  });
});
