import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { describeObjectStorageContract, startS3Server, type S3TestServer } from '@lfs-depot/testing';

import { S3Storage } from './s3.storage.js';

const MIB = 1024 * 1024;
// The smallest part size S3 allows, so that multipart cases need only a few MiB.
const PART_SIZE = 5 * MIB;

let server: S3TestServer;
let client: S3Client;
let testCount = 0;

function storageFor(bucket: string, prefix: string): S3Storage {
  return new S3Storage({
    bucket,
    prefix,
    region: server.region,
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: server.credentials,
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
    region: server.region,
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: server.credentials,
  });
});

afterAll(async () => {
  client.destroy();
  await server.stop();
});

describeObjectStorageContract(
  S3Storage.name,
  () => {
    const prefix = freshPrefix();
    // Surrounding slashes are ignored: the objects land under `${prefix}/`.
    const storage = storageFor(server.bucket, `/${prefix}/`);
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
  },
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
});
