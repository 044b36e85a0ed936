import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from '@jest/globals';

import { S3DirectTransfers } from './s3-direct-transfers.js';
import { StorageVerificationError } from './storage.errors.js';

const DATA = randomBytes(1000);
const OID = createHash('sha256').update(DATA).digest('hex');
const ATTESTED = Buffer.from(OID, 'hex').toString('base64');
const STAGING_KEY = `staging/${OID}/${'0'.repeat(32)}`;
const TARGET = `${OID.slice(0, 2)}/${OID.slice(2, 4)}/${OID}`;

interface Sent {
  command: string;
  input: Record<string, unknown>;
}

type Answers = Partial<Record<string, (input: Record<string, unknown>) => unknown>>;

/**
 * An S3 client that signs for real (presigning needs nothing else) and answers `send` from `answers`, by command;
 * a command without an answer fails the spec, so every call a case makes is one it planned.
 */
function answeringClient(answers: Answers): { client: S3Client; sent: Sent[] } {
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: 'http://s3.test',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret-example' },
  });
  const sent: Sent[] = [];
  const send = (command: {
    constructor: { name: string };
    input: Record<string, unknown>;
  }): Promise<unknown> => {
    const name = command.constructor.name;
    sent.push({ command: name, input: command.input });
    const answer = answers[name];
    if (!answer) {
      return Promise.reject(new Error(`unplanned ${name}`));
    }
    return Promise.resolve(answer(command.input));
  };
  Object.assign(client, { send });
  return { client, sent };
}

function transfers(client: S3Client, options: { trustChecksums: boolean; singleCopyMax?: number }) {
  return new S3DirectTransfers({
    bucket: 'b',
    prefix: 'lfs',
    region: 'us-east-1',
    forcePathStyle: true,
    client,
    ...options,
    copyPartSize: 400,
  });
}

const copied = (): unknown => ({ CopyObjectResult: {} });
const deleted = (): unknown => ({});

describe(S3DirectTransfers.name, () => {
  describe('presignUpload', () => {
    it('returns a URL to a fresh staging key that signs the exact length and the oid as SHA-256 checksum', async () => {
      const { client } = answeringClient({});
      const staged = await transfers(client, { trustChecksums: false }).presignUpload(
        { oid: OID, size: 1000 },
        120,
      );
      const url = new URL(staged.href);
      expect(staged.stagingKey).toMatch(new RegExp(`^staging/${OID}/[0-9a-f]{32}$`));
      expect(url.pathname).toBe(`/b/lfs/${staged.stagingKey}`);
      expect(url.searchParams.get('X-Amz-Expires')).toBe('120');
      expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host;x-amz-checksum-sha256');
      expect(staged.header).toEqual({ 'x-amz-checksum-sha256': ATTESTED });
    });
  });

  describe('commitStaged', () => {
    it('returns checksum when S3 attests the held copy, copying it to the object key without reading it', async () => {
      const { client, sent } = answeringClient({
        HeadObjectCommand: () => ({
          ContentLength: 1000,
          ChecksumSHA256: ATTESTED,
          ChecksumType: 'FULL_OBJECT',
        }),
        CopyObjectCommand: copied,
        DeleteObjectCommand: deleted,
      });
      const proof = await transfers(client, { trustChecksums: true }).commitStaged(
        STAGING_KEY,
        TARGET,
        { oid: OID, size: 1000 },
        { replace: true },
      );
      expect(proof).toBe('checksum');
      expect(sent.map(({ command, input }) => [command, input.Key, input.CopySource])).toEqual([
        ['HeadObjectCommand', `lfs/${STAGING_KEY}`, undefined],
        ['CopyObjectCommand', `lfs/${STAGING_KEY}.held`, `b/lfs/${STAGING_KEY}`],
        ['HeadObjectCommand', `lfs/${STAGING_KEY}.held`, undefined],
        ['CopyObjectCommand', `lfs/${TARGET}`, `b/lfs/${STAGING_KEY}.held`],
        ['DeleteObjectCommand', `lfs/${STAGING_KEY}`, undefined],
        ['DeleteObjectCommand', `lfs/${STAGING_KEY}.held`, undefined],
      ]);
      expect(sent[1]?.input.ChecksumAlgorithm).toBe('SHA256');
      expect(sent[2]?.input.ChecksumMode).toBe('ENABLED');
    });

    it('rejects an attested checksum of other bytes, copies nothing to the object key and removes both copies', async () => {
      const other = createHash('sha256').update('other bytes').digest('base64');
      const { client, sent } = answeringClient({
        HeadObjectCommand: () => ({ ContentLength: 1000, ChecksumSHA256: other }),
        CopyObjectCommand: copied,
        DeleteObjectCommand: deleted,
      });
      const commit = transfers(client, { trustChecksums: true }).commitStaged(
        STAGING_KEY,
        TARGET,
        { oid: OID, size: 1000 },
        { replace: true },
      );
      await expect(commit).rejects.toBeInstanceOf(StorageVerificationError);
      await expect(commit).rejects.toMatchObject({ reason: 'hash_mismatch', code: 'OBJECT_MISMATCH' });
      expect(sent.filter(({ input }) => input.Key === `lfs/${TARGET}`)).toEqual([]);
      expect(
        sent.filter(({ command }) => command === 'DeleteObjectCommand').map(({ input }) => input.Key),
      ).toEqual([`lfs/${STAGING_KEY}`, `lfs/${STAGING_KEY}.held`]);
    });

    it('rejects a staged object of another size before copying anything', async () => {
      const { client, sent } = answeringClient({
        HeadObjectCommand: () => ({ ContentLength: 999 }),
        DeleteObjectCommand: deleted,
      });
      await expect(
        transfers(client, { trustChecksums: true }).commitStaged(
          STAGING_KEY,
          TARGET,
          { oid: OID, size: 1000 },
          { replace: true },
        ),
      ).rejects.toMatchObject({ reason: 'size_mismatch' });
      expect(sent.map(({ command }) => command)).toEqual([
        'HeadObjectCommand',
        'DeleteObjectCommand',
        'DeleteObjectCommand',
      ]);
    });

    it.each([
      [
        'a checksum of parts',
        { trustChecksums: true },
        { ChecksumSHA256: `${ATTESTED}-3`, ChecksumType: 'COMPOSITE' },
      ],
      ['no attested checksum', { trustChecksums: true }, {}],
      ['checksums not trusted', { trustChecksums: false }, { ChecksumSHA256: ATTESTED }],
    ])('reads the held copy through a hash when there is %s', async (_case, options, checksum) => {
      const { client, sent } = answeringClient({
        HeadObjectCommand: () => ({ ContentLength: 1000, ETag: '"e"', ...checksum }),
        GetObjectCommand: () => ({ Body: Readable.from([DATA.subarray(0, 10), DATA.subarray(10)]) }),
        CopyObjectCommand: copied,
        DeleteObjectCommand: deleted,
      });
      await expect(
        transfers(client, options).commitStaged(
          STAGING_KEY,
          TARGET,
          { oid: OID, size: 1000 },
          { replace: true },
        ),
      ).resolves.toBe('rehash');
      expect(sent.find(({ command }) => command === 'GetObjectCommand')?.input).toMatchObject({
        Key: `lfs/${STAGING_KEY}.held`,
        IfMatch: '"e"',
      });
    });

    it('proves the staged object itself and copies nothing when the object key is kept', async () => {
      const { client, sent } = answeringClient({
        HeadObjectCommand: () => ({ ContentLength: 1000, ChecksumSHA256: ATTESTED }),
        DeleteObjectCommand: deleted,
      });
      await expect(
        transfers(client, { trustChecksums: true }).commitStaged(
          STAGING_KEY,
          TARGET,
          { oid: OID, size: 1000 },
          { replace: false },
        ),
      ).resolves.toBe('checksum');
      expect(sent.some(({ command }) => command === 'CopyObjectCommand')).toBe(false);
    });

    it('copies part by part above the single-copy limit', async () => {
      const { client, sent } = answeringClient({
        HeadObjectCommand: () => ({ ContentLength: 1000, ChecksumSHA256: ATTESTED }),
        CreateMultipartUploadCommand: () => ({ UploadId: 'u1' }),
        UploadPartCopyCommand: (input) => ({ CopyPartResult: { ETag: `"p${String(input.PartNumber)}"` } }),
        CompleteMultipartUploadCommand: () => ({}),
        DeleteObjectCommand: deleted,
      });
      await transfers(client, { trustChecksums: true, singleCopyMax: 500 }).commitStaged(
        STAGING_KEY,
        TARGET,
        { oid: OID, size: 1000 },
        { replace: true },
      );
      const toTarget = sent.filter(({ input }) => input.Key === `lfs/${TARGET}`);
      expect(toTarget.map(({ command, input }) => [command, input.CopySourceRange])).toEqual([
        ['CreateMultipartUploadCommand', undefined],
        ['UploadPartCopyCommand', 'bytes=0-399'],
        ['UploadPartCopyCommand', 'bytes=400-799'],
        ['UploadPartCopyCommand', 'bytes=800-999'],
        ['CompleteMultipartUploadCommand', undefined],
      ]);
      expect(toTarget[4]?.input.MultipartUpload).toEqual({
        Parts: [
          { ETag: '"p1"', PartNumber: 1 },
          { ETag: '"p2"', PartNumber: 2 },
          { ETag: '"p3"', PartNumber: 3 },
        ],
      });
    });

    it('refuses a staging key it did not make', async () => {
      const { client } = answeringClient({});
      await expect(
        transfers(client, { trustChecksums: true }).commitStaged(
          `${TARGET}`,
          TARGET,
          { oid: OID, size: 1000 },
          { replace: true },
        ),
      ).rejects.toThrow(new TypeError(`Invalid staging key: ${JSON.stringify(TARGET)}`));
    });
  });
});
