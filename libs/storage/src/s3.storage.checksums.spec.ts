import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { buffer } from 'node:stream/consumers';

import {
  bodyOf,
  describeObjectStorageContract,
  expectedFor,
  expectFailedUploadsToKeepWhatIsStored,
  rejection,
  startS3Server,
  type S3TestServer,
  s3ConnectionOf,
} from '@lfs-depot/testing';

import { objectKey } from './object-key.js';
import { probeChecksumEnforcement } from './s3-checksum-probe.js';
import { createS3Client } from './s3-client.js';
import { S3Storage } from './s3.storage.js';

const MIB = 1024 * 1024;
const PART_SIZE = 5 * MIB;
// Above one part and below 5 GiB: the size streamed as one PutObject.
const STREAMED_SIZE = 2 * PART_SIZE + 5;

/** s3rver behind a front that refuses PutObject bytes not matching x-amz-checksum-sha256, as AWS S3 does. */
let enforcing: S3TestServer;
/** s3rver as it is: it ignores the checksum and keeps a cut-off PUT as a short object. */
let plain: S3TestServer;
let client: S3Client;
let testCount = 0;

function storageOn(server: S3TestServer, prefix: string, enforcesChecksums?: boolean | 'auto'): S3Storage {
  return new S3Storage({
    bucket: server.bucket,
    prefix,
    ...s3ConnectionOf(server),
    partSize: PART_SIZE,
    enforcesChecksums,
  });
}

function freshPrefix(): string {
  testCount += 1;
  return `checksums-${testCount}`;
}

/** Every key under `prefix/` of the enforcing server's bucket, temporary ones included, the prefix removed. */
async function keysUnder(prefix: string): Promise<string[]> {
  const listing = await client.send(
    new ListObjectsV2Command({ Bucket: enforcing.bucket, Prefix: `${prefix}/` }),
  );
  return (listing.Contents ?? []).map((object) => (object.Key ?? '').slice(prefix.length + 1)).sort();
}

/** The requests made under `prefix/` from now on, as S3TestServer.requests spells them, the prefix removed. */
function requestsFrom(server: S3TestServer, prefix: string): () => string[] {
  const start = server.requests.length;
  return () =>
    server.requests
      .slice(start)
      .filter((request) => request.includes(` ${prefix}/`))
      .map((request) => request.replace(` ${prefix}/`, ' '));
}

beforeAll(async () => {
  [enforcing, plain] = await Promise.all([startS3Server({ enforceChecksums: true }), startS3Server()]);
  client = new S3Client({
    ...s3ConnectionOf(enforcing),
  });
});

afterAll(async () => {
  client.destroy();
  await Promise.all([enforcing.stop(), plain.stop()]);
});

describeObjectStorageContract(
  `${S3Storage.name} on a server that enforces checksums (streamed uploads straight to the object's key)`,
  () => {
    const prefix = freshPrefix();
    const storage = storageOn(enforcing, prefix);
    return Promise.resolve({
      storage,
      // Temporary keys included: the direct path must leave none either.
      storedKeys: () => keysUnder(prefix),
      leftovers: () => Promise.resolve([]),
      close: () => {
        storage.destroy();
        return Promise.resolve();
      },
    });
  },
  { largeSize: STREAMED_SIZE },
);

describe(probeChecksumEnforcement.name, () => {
  it('returns enforced when the server refuses a wrong checksum, takes the right one and keeps it through a cut-off PutObject, leaving no probe object', async () => {
    const prefix = freshPrefix();
    const seen = requestsFrom(enforcing, prefix);
    const probeClient = createS3Client({ ...storageOptions(enforcing), prefix });
    try {
      const verdict = await probeChecksumEnforcement(probeClient, enforcing.bucket, `${prefix}/tmp/probe`);

      expect(verdict).toEqual({
        enforced: true,
        conclusive: true,
        reason:
          'the S3 server refused a PutObject whose x-amz-checksum-sha256 does not match its bytes and kept an object intact when a PutObject over it was cut short',
      });
      expect(seen()).toEqual([
        'PUT tmp/probe',
        'PUT tmp/probe',
        'PUT tmp/probe',
        'GET tmp/probe',
        'DELETE tmp/probe',
      ]);
      expect(await keysUnder(prefix)).toEqual([]);
    } finally {
      probeClient.destroy();
    }
  });

  it('returns not enforced when the server checks checksums but keeps what arrived of a cut-off PutObject', async () => {
    const prefix = freshPrefix();
    const probeClient = createS3Client({ ...storageOptions(enforcing), prefix });
    enforcing.keepCutShortPutBodies = true;
    try {
      const verdict = await probeChecksumEnforcement(probeClient, enforcing.bucket, `${prefix}/tmp/probe`);

      // Half of the 32 bytes: the cut came after the probe wrote them, which the probe's Expect: 100-continue ensures.
      expect(verdict).toEqual({
        enforced: false,
        conclusive: true,
        reason:
          'the S3 server replaced an object with 16 bytes of a PutObject over it that was cut short of its Content-Length',
      });
      expect(await keysUnder(prefix)).toEqual([]);
    } finally {
      enforcing.keepCutShortPutBodies = false;
      probeClient.destroy();
    }
  });

  it('returns not enforced when the server stores bytes that do not match the checksum, deleting them', async () => {
    const prefix = freshPrefix();
    const seen = requestsFrom(plain, prefix);
    const probeClient = createS3Client({ ...storageOptions(plain), prefix });
    try {
      const verdict = await probeChecksumEnforcement(probeClient, plain.bucket, `${prefix}/tmp/probe`);

      expect(verdict).toEqual({
        enforced: false,
        conclusive: true,
        reason: 'the S3 server stored a PutObject whose x-amz-checksum-sha256 does not match its bytes',
      });
      expect(seen()).toEqual(['PUT tmp/probe', 'DELETE tmp/probe']);
    } finally {
      probeClient.destroy();
    }
  });

  it('returns an inconclusive not-enforced when the server cannot be reached', async () => {
    const probeClient = createS3Client({
      ...storageOptions(enforcing),
      prefix: '',
      // Nothing listens on the discard port: the connection is refused at once.
      endpoint: 'http://127.0.0.1:9',
    });
    try {
      const verdict = await probeChecksumEnforcement(probeClient, enforcing.bucket, 'tmp/probe');

      expect(verdict).toMatchObject({ enforced: false, conclusive: false });
      expect(verdict.reason).toMatch(/^the checksum probe failed \(.*ECONNREFUSED/);
    } finally {
      probeClient.destroy();
    }
  });
});

/** Stores fresh bytes through `storage` and expects them to have gone to a temporary key, then been copied into place. */
async function expectCopiedFromTemporaryKey(
  storage: S3Storage,
  server: S3TestServer,
  prefix: string,
): Promise<void> {
  const seen = requestsFrom(server, prefix);
  const content = randomBytes(STREAMED_SIZE);
  const key = objectKey(expectedFor(content).oid);

  await storage.put(key, bodyOf(content), expectedFor(content));

  expect(seen().map((request) => request.replace(/^(\w+ tmp\/)[0-9a-f-]+$/, '$1…'))).toEqual([
    'PUT tmp/…',
    `COPY ${key}`,
    'DELETE tmp/…',
  ]);
}

function storageOptions(server: S3TestServer) {
  return {
    bucket: server.bucket,
    ...s3ConnectionOf(server),
  };
}

describe(`${S3Storage.name} checksum enforcement`, () => {
  describe('checksumEnforcement', () => {
    it('returns the setting without asking the server when it is true or false', async () => {
      const prefix = freshPrefix();
      const seen = requestsFrom(plain, prefix);
      const storages = [storageOn(plain, prefix, true), storageOn(plain, prefix, false)];
      try {
        expect(await storages[0].checksumEnforcement()).toEqual({
          enforced: true,
          conclusive: true,
          reason: 'S3_ENFORCES_CHECKSUMS=true',
        });
        expect(await storages[1].checksumEnforcement()).toMatchObject({ enforced: false });
        expect(seen()).toEqual([]);
      } finally {
        storages.forEach((storage) => storage.destroy());
      }
    });

    it('asks the server once with auto, whatever the number of uploads', async () => {
      const prefix = freshPrefix();
      const seen = requestsFrom(enforcing, prefix);
      const storage = storageOn(enforcing, prefix, 'auto');
      try {
        const verdicts = await Promise.all([storage.checksumEnforcement(), storage.checksumEnforcement()]);
        await storage.checksumEnforcement();

        expect(verdicts.map((verdict) => verdict.enforced)).toEqual([true, true]);
        // One probe: a wrong checksum, the right one, the cut-off PutObject over it.
        expect(seen().filter((request) => request.startsWith('PUT '))).toHaveLength(3);
        expect(await storage.describeUploads()).toMatch(
          /^S3 uploads up to 5368709120 bytes stream straight to the object's key \(the S3 server refused/,
        );
      } finally {
        storage.destroy();
      }
    });
  });

  describe('put', () => {
    it("streams one PutObject straight to the object's key, with no temporary key and no copy, when enforced", async () => {
      const prefix = freshPrefix();
      const storage = storageOn(enforcing, prefix);
      try {
        await storage.checksumEnforcement();
        const seen = requestsFrom(enforcing, prefix);
        const content = randomBytes(STREAMED_SIZE);
        const key = objectKey(expectedFor(content).oid);

        await storage.put(key, bodyOf(content), expectedFor(content));

        expect(seen()).toEqual([`PUT ${key}`]);
        expect(await keysUnder(prefix)).toEqual([key]);
        expect((await buffer(await storage.open(key))).equals(content)).toBe(true);
        expect(storage.partBuffers.peakReserved).toBe(0);
      } finally {
        storage.destroy();
      }
    });

    it('takes the temporary key and the copy when the probe finds the server does not enforce checksums', async () => {
      const prefix = freshPrefix();
      const storage = storageOn(plain, prefix);
      try {
        expect(await storage.describeUploads()).toMatch(/stream to a temporary key and are copied/);
        await expectCopiedFromTemporaryKey(storage, plain, prefix);
      } finally {
        storage.destroy();
      }
    });

    it('takes the temporary key on a server that checks checksums but keeps what arrived of a cut-off PutObject', async () => {
      const prefix = freshPrefix();
      const storage = storageOn(enforcing, prefix);
      enforcing.keepCutShortPutBodies = true;
      try {
        expect(await storage.describeUploads()).toMatch(
          /stream to a temporary key and are copied to the object's key \(the S3 server replaced an object with/,
        );
        enforcing.keepCutShortPutBodies = false;
        await expectCopiedFromTemporaryKey(storage, enforcing, prefix);
      } finally {
        enforcing.keepCutShortPutBodies = false;
        storage.destroy();
      }
    });

    it('takes the temporary key when S3_ENFORCES_CHECKSUMS=false, even on a server that enforces them', async () => {
      const prefix = freshPrefix();
      const storage = storageOn(enforcing, prefix, false);
      try {
        const seen = requestsFrom(enforcing, prefix);
        const content = randomBytes(STREAMED_SIZE);
        const key = objectKey(expectedFor(content).oid);

        await storage.put(key, bodyOf(content), expectedFor(content));

        expect(seen()).toContain(`COPY ${key}`);
        expect(await keysUnder(prefix)).toEqual([key]);
      } finally {
        storage.destroy();
      }
    });

    it('rejects with BadDigest when the bytes are damaged on their way to S3, storing nothing and keeping a stored object', async () => {
      const prefix = freshPrefix();
      const storage = storageOn(enforcing, prefix);
      const content = randomBytes(STREAMED_SIZE);
      const expected = expectedFor(content);
      const key = objectKey(expected.oid);
      try {
        await storage.checksumEnforcement();
        for (const present of [false, true]) {
          if (present) {
            await storage.put(key, bodyOf(content), expected);
          }
          enforcing.damagePutBodies = true;
          try {
            const error = await rejection(storage.put(key, bodyOf(content), expected));
            expect(error).toMatchObject({ name: 'BadDigest' });
          } finally {
            enforcing.damagePutBodies = false;
          }
          expect(await keysUnder(prefix)).toEqual(present ? [key] : []);
        }
        expect((await buffer(await storage.open(key))).equals(content)).toBe(true);
      } finally {
        storage.destroy();
      }
    });

    it('stores nothing and keeps the stored object when a re-upload fails or aborts at any stage', async () => {
      const prefix = freshPrefix();
      const storage = storageOn(enforcing, prefix);
      try {
        await expectFailedUploadsToKeepWhatIsStored(storage, {
          size: STREAMED_SIZE,
          partSize: PART_SIZE,
          keysUnder: () => keysUnder(prefix),
        });
      } finally {
        storage.destroy();
      }
    });
  });
});
