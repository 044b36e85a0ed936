import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import type { DirectTransfers, StagedProof, StagedUpload } from './direct-transfers.js';
import { assertValidKey, STAGING_DIRECTORY } from './object-key.js';
import type { ExpectedObject } from './object-storage.js';
import { createS3Client, type S3ConnectionOptions } from './s3-client.js';
import { isS3NotFound } from './s3-not-found.js';
import { ObjectMissingError, StorageVerificationError } from './storage.errors.js';
import { verifyWithoutStoring } from './verify-without-storing.js';

const GIB = 1024 ** 3;
/** S3's limit on one CopyObject; larger objects are copied part by part (UploadPartCopy). */
export const S3_SINGLE_COPY_MAX = 5 * GIB;
/** Part size of a multipart copy: 2,000 parts for the largest object S3 storage takes (625 GiB). */
const COPY_PART_SIZE = 512 * 1024 ** 2;
/** Presigned URLs live at most a week in SigV4. */
const MAX_EXPIRES_IN = 7 * 24 * 3600;

const STAGING_KEY = new RegExp(`^${STAGING_DIRECTORY}/[0-9a-f]{64}/[0-9a-f]{32}$`);
/** Suffix of the copy a staged upload is proven on: no presigned URL ever names it. */
const HELD_SUFFIX = '.held';

export interface S3DirectTransfersOptions extends S3ConnectionOptions {
  /**
   * Whether a SHA-256 the bucket attests (HeadObject with ChecksumMode) proves a staged upload, or its bytes are
   * always read through a hash (DIRECT_UPLOAD_VERIFY). Only for servers that check x-amz-checksum-sha256 themselves.
   */
  trustChecksums: boolean;
  /** The client to use instead of one built from the options above (specs answer from a fake). */
  client?: S3Client;
  /** Largest object copied with one CopyObject (specs lower it to exercise the multipart copy). */
  singleCopyMax?: number;
  /** Part size of a multipart copy. */
  copyPartSize?: number;
}

/**
 * Presigned downloads and uploads on the S3 bucket S3Storage writes to, and the server-side proof and copy that turn
 * a staged upload into an object. Kept apart from S3Storage: the proxied path never needs any of it.
 */
export class S3DirectTransfers implements DirectTransfers {
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly trustChecksums: boolean;
  private readonly singleCopyMax: number;
  private readonly copyPartSize: number;

  constructor(options: S3DirectTransfersOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix.replace(/^\/+|\/+$/g, '');
    this.trustChecksums = options.trustChecksums;
    this.singleCopyMax = options.singleCopyMax ?? S3_SINGLE_COPY_MAX;
    this.copyPartSize = options.copyPartSize ?? COPY_PART_SIZE;
    this.ownsClient = options.client === undefined;
    this.client =
      options.client ??
      // Only the checksums an operation requires (see createS3Client); ours are explicit (x-amz-checksum-sha256).
      createS3Client(options);
  }

  presignDownload(key: string, expiresIn: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }), {
      expiresIn: clampExpiry(expiresIn),
    });
  }

  /**
   * Signs the exact Content-Length, so the URL takes no other size, and the oid as x-amz-checksum-sha256, a header
   * the client must send (not hoisted into the query): a server that checks it refuses other bytes at PUT time.
   * Content-Type is left unsigned, since git-lfs sends its own.
   */
  async presignUpload(expected: ExpectedObject, expiresIn: number): Promise<StagedUpload> {
    const stagingKey = `${STAGING_DIRECTORY}/${expected.oid}/${randomBytes(16).toString('hex')}`;
    const checksum = Buffer.from(expected.oid, 'hex').toString('base64');
    const href = await getSignedUrl(
      this.client,
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.s3Key(stagingKey),
        ContentLength: expected.size,
        ChecksumSHA256: checksum,
      }),
      {
        expiresIn: clampExpiry(expiresIn),
        signableHeaders: new Set(['content-length']),
        unhoistableHeaders: new Set(['x-amz-checksum-sha256']),
      },
    );
    return { href, header: { 'x-amz-checksum-sha256': checksum }, stagingKey };
  }

  async commitStaged(
    stagingKey: string,
    key: string,
    expected: ExpectedObject,
    options: { replace: boolean },
  ): Promise<StagedProof> {
    const staged = this.stagedKeyOf(stagingKey);
    const target = this.keyOf(key);
    const held = `${staged}${HELD_SUFFIX}`;
    try {
      const head = await this.head(staged, stagingKey);
      if (head.size !== expected.size) {
        throw new StorageVerificationError('size_mismatch', expected, { size: head.size });
      }
      if (!options.replace) {
        // Nothing is copied, so nothing can change under us: proving what is there now is enough.
        return await this.prove(staged, stagingKey, expected);
      }
      await this.copy(staged, held, expected.size);
      const proof = await this.prove(held, stagingKey, expected);
      await this.copy(held, target, expected.size);
      return proof;
    } finally {
      await this.deleteS3Keys([staged, held]);
    }
  }

  async discardStaged(stagingKey: string): Promise<void> {
    const staged = this.stagedKeyOf(stagingKey);
    await this.deleteS3Keys([staged, `${staged}${HELD_SUFFIX}`]);
  }

  /**
   * Deletes the staged uploads (and held copies) under our prefix last written more than `olderThanMs` ago: uploads
   * whose verify never came, or came after the API died. A bucket lifecycle rule on the same prefix does it too.
   */
  async sweepStaged(olderThanMs: number, now: number = Date.now()): Promise<number> {
    const root = this.s3Key(`${STAGING_DIRECTORY}/`);
    let removed = 0;
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: root, ContinuationToken: token }),
      );
      for (const entry of page.Contents ?? []) {
        if (
          entry.Key !== undefined &&
          entry.LastModified !== undefined &&
          now - entry.LastModified.getTime() > olderThanMs
        ) {
          await this.deleteS3Keys([entry.Key]);
          removed++;
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return removed;
  }

  /** Closes the client's idle connections, unless it was given. */
  destroy(): void {
    if (this.ownsClient) {
      this.client.destroy();
    }
  }

  /** Size and, when trusted, the SHA-256 S3 attests; a checksum of parts ("…-N", COMPOSITE) attests nothing here. */
  private async head(s3Key: string, name: string): Promise<{ size: number; sha256?: string; etag?: string }> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({
          Bucket: this.bucket,
          Key: s3Key,
          ChecksumMode: this.trustChecksums ? 'ENABLED' : undefined,
        }),
      );
      const attested =
        this.trustChecksums &&
        head.ChecksumSHA256 !== undefined &&
        !head.ChecksumSHA256.includes('-') &&
        (head.ChecksumType === undefined || head.ChecksumType === 'FULL_OBJECT');
      return {
        size: head.ContentLength ?? 0,
        sha256: attested ? head.ChecksumSHA256 : undefined,
        etag: head.ETag,
      };
    } catch (error) {
      if (isS3NotFound(error)) {
        throw new ObjectMissingError(name);
      }
      throw error;
    }
  }

  /** Size and SHA-256 of the object under `s3Key`: attested by S3 when trusted and given, else read and hashed. */
  private async prove(s3Key: string, name: string, expected: ExpectedObject): Promise<StagedProof> {
    const head = await this.head(s3Key, name);
    if (head.size !== expected.size) {
      throw new StorageVerificationError('size_mismatch', expected, { size: head.size });
    }
    if (head.sha256 !== undefined) {
      const oid = Buffer.from(head.sha256, 'base64').toString('hex');
      if (oid !== expected.oid) {
        throw new StorageVerificationError('hash_mismatch', expected, { size: head.size, oid });
      }
      return 'checksum';
    }
    const response = await this.client.send(
      // IfMatch: the bytes hashed are those of the object whose size was just checked.
      new GetObjectCommand({ Bucket: this.bucket, Key: s3Key, IfMatch: head.etag }),
    );
    if (!(response.Body instanceof Readable)) {
      throw new Error(`GetObject ${s3Key} returned no Node.js stream`);
    }
    await verifyWithoutStoring(response.Body, expected);
    return 'rehash';
  }

  /** A server-side copy: one CopyObject up to singleCopyMax, UploadPartCopy parts above (S3 copies 5 GiB at most). */
  private async copy(from: string, to: string, size: number): Promise<void> {
    const source = `${this.bucket}/${from}`;
    if (size <= this.singleCopyMax) {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: to,
          CopySource: source,
          // S3 computes the copy's SHA-256 from its bytes: what `prove` trusts on the held copy.
          ChecksumAlgorithm: this.trustChecksums ? 'SHA256' : undefined,
        }),
      );
      return;
    }
    const { UploadId: uploadId } = await this.client.send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key: to,
        ChecksumAlgorithm: this.trustChecksums ? 'SHA256' : undefined,
        ChecksumType: this.trustChecksums ? 'FULL_OBJECT' : undefined,
      }),
    );
    if (uploadId === undefined) {
      throw new Error(`CreateMultipartUpload ${to} returned no upload id`);
    }
    try {
      const parts: { ETag?: string; PartNumber: number }[] = [];
      for (let start = 0, part = 1; start < size; start += this.copyPartSize, part++) {
        const end = Math.min(size, start + this.copyPartSize) - 1;
        const copied = await this.client.send(
          new UploadPartCopyCommand({
            Bucket: this.bucket,
            Key: to,
            UploadId: uploadId,
            PartNumber: part,
            CopySource: source,
            CopySourceRange: `bytes=${start}-${end}`,
          }),
        );
        parts.push({ ETag: copied.CopyPartResult?.ETag, PartNumber: part });
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: to,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (error) {
      // Never visible; should the abort fail too, S3Storage's sweep of old multipart uploads under the prefix ends it.
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: to, UploadId: uploadId }))
        .catch(() => undefined);
      throw error;
    }
  }

  private async deleteS3Keys(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      try {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
      } catch (error) {
        // AWS answers 204 for a missing key, but some S3-compatible servers answer 404.
        if (!isS3NotFound(error)) {
          throw error;
        }
      }
    }
  }

  private keyOf(key: string): string {
    assertValidKey(key);
    return this.s3Key(key);
  }

  private stagedKeyOf(stagingKey: string): string {
    if (!STAGING_KEY.test(stagingKey)) {
      throw new TypeError(`Invalid staging key: ${JSON.stringify(stagingKey.slice(0, 120))}`);
    }
    return this.s3Key(stagingKey);
  }

  private s3Key(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }
}

function clampExpiry(expiresIn: number): number {
  return Math.min(MAX_EXPIRES_IN, Math.max(1, Math.floor(expiresIn)));
}
