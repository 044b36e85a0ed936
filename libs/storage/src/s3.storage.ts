import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  ListObjectsV2Command,
  type S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';

import {
  assertValidKey,
  isValidKey,
  quarantineKey,
  STORAGE_MARKER_KEY,
  TEMP_DIRECTORY,
} from './object-key.js';
import { PartBufferPool } from './part-buffer-pool.js';
import { type PartTarget, S3PartWriter } from './s3-part-writer.js';
import { S3StreamingPut, type StreamingPutTarget } from './s3-streaming-put.js';
import {
  assertValidRange,
  type ByteRange,
  type ExpectedObject,
  type ObjectStorage,
  type StoredEntry,
} from './object-storage.js';
import { type ChecksumVerdict, probeChecksumEnforcement } from './s3-checksum-probe.js';
import { createS3Client, type S3ConnectionOptions } from './s3-client.js';
import { isS3NotFound } from './s3-not-found.js';
import { ObjectMissingError, StoredSizeMismatchError } from './storage.errors.js';
import { withRetries } from './s3-retries.js';
import { verifyAgainstStored } from './verify-without-storing.js';
import { VerifyingStream } from './verifying-stream.js';

const MIB = 1024 * 1024;
const DEFAULT_PART_SIZE = 8 * MIB;
const DEFAULT_PARTS_IN_FLIGHT = 4;
/** S3's limit on the parts of one multipart upload. */
export const S3_MAX_PARTS = 10_000;
/**
 * The largest part an upload uses: part size grows with the object only until here, so the largest object S3 storage
 * takes is S3_MAX_PARTS × 64 MiB (625 GiB), and one part always fits in the smallest S3_UPLOAD_MEMORY.
 */
export const S3_MAX_PART_SIZE = 64 * MIB;
/** S3's limit on one PutObject (and one CopyObject): larger objects go up as multipart uploads. */
export const S3_SINGLE_PUT_MAX = 5 * 1024 * MIB;
/** Part buffers all uploads of a process may hold together, unless S3StorageOptions.uploadMemory says otherwise. */
export const DEFAULT_UPLOAD_MEMORY = 64 * MIB;
/** After a checksum probe that could not tell (the server unreachable, say), how long until an upload asks again. */
const PROBE_RETRY_MS = 60_000;

/** Where and how to reach the bucket; credentials default to the AWS SDK chain (env, profile, instance role). */
export interface S3StorageOptions extends S3ConnectionOptions {
  /**
   * Multipart part size in bytes (5 to 64 MiB, default 8 MiB); raised per object so that it fits in 10,000 parts, up
   * to S3_MAX_PART_SIZE.
   */
  partSize?: number;
  /** Parts of one upload sent at once while the next one fills (default 4), as the shared pool allows. */
  partsInFlight?: number;
  /**
   * The part buffers of every upload together (bytes, default 64 MiB, at least S3_MAX_PART_SIZE): an upload reserves
   * each part before reading its bytes and waits while others hold the rest.
   */
  uploadMemory?: number;
  /** A pool to share instead of one of `uploadMemory` bytes (tests use a small one). */
  partBuffers?: PartBufferPool;
  /**
   * Largest object streamed as one PutObject (default and at most S3_SINGLE_PUT_MAX); larger ones, and those that fit
   * in one part, go through the part buffers. Specs lower it to exercise multipart uploads with small objects.
   */
  singlePutMax?: number;
  /**
   * Whether the server refuses a PutObject whose bytes do not match its `x-amz-checksum-sha256`
   * (S3_ENFORCES_CHECKSUMS): then objects streamed as one PutObject go straight to the object's key, without the
   * temporary key and the copy. `auto` (the default) asks the server with a probe before the first such upload.
   * `true` on a server that does not check (s3rver) is unsafe: a cut-off re-upload would truncate a stored object.
   */
  enforcesChecksums?: boolean | 'auto';
}

/** Objects in an S3-compatible bucket under `prefix/`, written with verified multipart uploads. */
export class S3Storage implements ObjectStorage {
  readonly kind = 's3' as const;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly partsInFlight: number;
  private readonly singlePutMax: number;
  private readonly enforcesChecksums: boolean | 'auto';
  private checksumVerdict: Promise<ChecksumVerdict> | undefined;
  /** When an inconclusive probe's verdict stops counting (never for a conclusive one). */
  private checksumVerdictExpiresAt = Number.POSITIVE_INFINITY;
  /** Shared by every upload through this storage (one per process). */
  readonly partBuffers: PartBufferPool;
  /** S3 keys being written by this process now, with how many uploads write each: the sweep leaves them alone. */
  private readonly writing = new Map<string, number>();

  constructor(options: S3StorageOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix.replace(/^\/+|\/+$/g, '');
    this.partSize = options.partSize ?? DEFAULT_PART_SIZE;
    this.partsInFlight = options.partsInFlight ?? DEFAULT_PARTS_IN_FLIGHT;
    this.singlePutMax = Math.min(options.singlePutMax ?? S3_SINGLE_PUT_MAX, S3_SINGLE_PUT_MAX);
    this.enforcesChecksums = options.enforcesChecksums ?? 'auto';
    if (this.partSize < 5 * MIB || this.partSize > S3_MAX_PART_SIZE) {
      throw new RangeError(`S3 part size must be between 5 and 64 MiB, not ${this.partSize} bytes`);
    }
    this.partBuffers =
      options.partBuffers ??
      new PartBufferPool(Math.max(options.uploadMemory ?? DEFAULT_UPLOAD_MEMORY, S3_MAX_PART_SIZE));
    this.client = createS3Client(options);
  }

  /**
   * Uploads through a VerifyingStream, which ends only once size and SHA-256 matched (on a mismatch it errors
   * instead), into one of two sinks that both make the bytes visible only from their end():
   *
   * - Objects above one part and up to singlePutMax stream as one PutObject (S3StreamingPut) carrying the oid as its
   *   `x-amz-checksum-sha256` and the exact Content-Length, the chunk that completes the body held back until
   *   verified. Memory is the chunk in hand, with no part buffers, and the server takes the bytes in one request
   *   (s3rver's CompleteMultipartUpload reads, hashes and rewrites every part on its one thread). Where the server
   *   enforces that checksum (checksumEnforcement), the PutObject goes straight to the object's key: the server
   *   stores the complete, matching body or nothing, so a wrong, cut-off or failed re-upload leaves a stored object
   *   as it was, and a right one replaces it with the same bytes at once. Elsewhere it goes to a key of its own under
   *   `tmp/`, then CopyObject to the object's key and DeleteObject of the temporary one: a PUT cut short of its
   *   Content-Length is stored as a short object by s3rver, and straight to the object's key a wrong re-upload would
   *   truncate the stored object. A failure deletes the temporary key; one a crash left is swept with the multipart
   *   uploads.
   * - The others go through an S3PartWriter: one part as one PutObject straight to the object's key from _final,
   *   larger ones as a multipart upload committed by CompleteMultipartUpload from _final. A failure aborts the
   *   requests in flight and the multipart upload. Should an abort request itself fail, the parts stay until the
   *   sweep or the bucket's AbortIncompleteMultipartUpload lifecycle rule (recommended in production) removes them;
   *   they are never visible.
   *
   * Either way an object already stored under the key is left untouched by a failed upload. The specs prove the
   * no-object/no-pending-upload outcome for each sink.
   */
  async put(
    key: string,
    body: Readable,
    expected: ExpectedObject,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const s3Key = this.keyOf(key);
    let partSize: number;
    let streamed: boolean;
    let direct: boolean;
    let verifier: VerifyingStream;
    try {
      partSize = this.partSizeFor(expected.size);
      streamed = expected.size > partSize && expected.size <= this.singlePutMax;
      direct = streamed && (await this.checksumEnforcement()).enforced;
      options.signal?.throwIfAborted();
      verifier = new VerifyingStream(expected);
    } catch (error) {
      // Refused before reading: nobody else will consume or close the body.
      body.destroy();
      throw error;
    }
    const tempKey = streamed && !direct ? this.tempKeyFor(expected.oid) : undefined;
    const writer = streamed
      ? new S3StreamingPut({
          target:
            tempKey !== undefined
              ? this.streamingTarget(s3Key, tempKey, expected.oid)
              : this.directStreamingTarget(s3Key, expected.oid),
          size: expected.size,
        })
      : new S3PartWriter({
          target: this.partTarget(s3Key),
          pool: this.partBuffers,
          size: expected.size,
          partSize,
          partsInFlight: this.partsInFlight,
        });
    // Not pipeline's own signal: once every byte is verified the commit is under way, and aborting then would race
    // with it (the verifier ignores an abort from then on).
    const stopWatching = verifier.abortOn(options.signal);
    const keys = tempKey !== undefined ? [s3Key, tempKey] : [s3Key];
    for (const written of keys) {
      this.writing.set(written, (this.writing.get(written) ?? 0) + 1);
    }
    try {
      await pipeline(body, verifier, writer);
    } catch (error) {
      // pipeline() answers as soon as a stream fails; the writer is still aborting its requests and multipart upload,
      // and the caller may only report the failure once nothing of it is left.
      if (!writer.closed) {
        await new Promise((resolve) => writer.once('close', resolve));
      }
      // A verification failure is the cause whatever the writer then reported (an aborted request, say).
      throw verifier.errored ?? error;
    } finally {
      stopWatching();
      for (const written of keys) {
        const writers = (this.writing.get(written) ?? 1) - 1;
        if (writers === 0) {
          this.writing.delete(written);
        } else {
          this.writing.set(written, writers);
        }
      }
    }
    if (!verifier.isVerified || !writer.isCommitted) {
      // The invariant above, checked in case a change lets the writer end before its content was verified.
      throw new Error(`S3 upload of ${s3Key} ended without being verified and committed`);
    }
  }

  /**
   * Whether the server refuses PutObject bytes that do not match their `x-amz-checksum-sha256`, as the setting says or,
   * with `auto`, as a probe of the server found (probeChecksumEnforcement, asked once; again after a minute when it
   * could not tell, uploads meanwhile taking the temporary key). Never rejects.
   */
  checksumEnforcement(): Promise<ChecksumVerdict> {
    if (this.enforcesChecksums !== 'auto') {
      return Promise.resolve({
        enforced: this.enforcesChecksums,
        conclusive: true,
        reason: `S3_ENFORCES_CHECKSUMS=${String(this.enforcesChecksums)}`,
      });
    }
    if (this.checksumVerdict === undefined || Date.now() >= this.checksumVerdictExpiresAt) {
      this.checksumVerdictExpiresAt = Number.POSITIVE_INFINITY;
      this.checksumVerdict = probeChecksumEnforcement(
        this.client,
        this.bucket,
        this.tempKeyFor('checksum-probe'),
      ).then((verdict) => {
        if (!verdict.conclusive) {
          this.checksumVerdictExpiresAt = Date.now() + PROBE_RETRY_MS;
        }
        return verdict;
      });
    }
    return this.checksumVerdict;
  }

  /** Which way uploads up to 5 GiB take, once the checksum probe (when there is one) answered: a line for the log. */
  async describeUploads(): Promise<string> {
    const { enforced, reason } = await this.checksumEnforcement();
    return enforced
      ? `S3 uploads up to ${this.singlePutMax} bytes stream straight to the object's key (${reason})`
      : `S3 uploads up to ${this.singlePutMax} bytes stream to a temporary key and are copied to the object's key (${reason})`;
  }

  /** A key under `tmp/` that no other upload uses, for one streamed upload of `oid`. */
  private tempKeyFor(oid: string): string {
    const name = `${TEMP_DIRECTORY}/${oid}-${randomBytes(8).toString('hex')}`;
    return this.prefix ? `${this.prefix}/${name}` : name;
  }

  /**
   * The PutObject of one streamed upload to `s3Key`, with the oid as its SHA-256 checksum (a server that checks it
   * refuses other bytes; one that does not ignores it) and the object's exact size as its Content-Length.
   */
  private streamedPutObject(s3Key: string, oid: string): StreamingPutTarget['putObject'] {
    return async (body, length, signal) => {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: s3Key,
          Body: body,
          ContentLength: length,
          ContentType: 'application/octet-stream',
          ChecksumSHA256: Buffer.from(oid, 'hex').toString('base64'),
        }),
        { abortSignal: signal },
      );
    };
  }

  /**
   * A streamed upload straight to `s3Key`, for servers that enforce the checksum: the PutObject answering is the
   * object being stored. A failure has nothing to discard (a refused or cut-off PutObject stores nothing there), and
   * must not delete anything: `s3Key` may hold the stored object this upload was re-sending.
   */
  private directStreamingTarget(s3Key: string, oid: string): StreamingPutTarget {
    return {
      putObject: this.streamedPutObject(s3Key, oid),
      publish: () => Promise.resolve(),
      discard: () => Promise.resolve(),
    };
  }

  /** The requests of one streamed upload through `tempKey`: PutObject there, then CopyObject to `s3Key`. */
  private streamingTarget(s3Key: string, tempKey: string, oid: string): StreamingPutTarget {
    const deleteTemp = async (): Promise<void> => {
      try {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: tempKey }));
      } catch (error) {
        if (!isS3NotFound(error)) {
          throw error;
        }
      }
    };
    return {
      putObject: this.streamedPutObject(tempKey, oid),
      publish: async () => {
        await this.client.send(
          new CopyObjectCommand({ Bucket: this.bucket, Key: s3Key, CopySource: `${this.bucket}/${tempKey}` }),
        );
        // The object is stored: a temporary key left by a failed delete is the sweep's, not a reason to fail.
        await deleteTemp().catch(() => undefined);
      },
      discard: deleteTemp,
    };
  }

  /**
   * The S3 requests of one upload to `s3Key`. Bodies are streams over the part buffers, so the SDK signs them as
   * UNSIGNED-PAYLOAD instead of hashing each part a second time (the verifier's SHA-256 covers every byte, TLS the
   * way to S3), and does not retry them itself: withRetries sends a failed part again from its buffer.
   */
  private partTarget(s3Key: string): PartTarget {
    const target = { Bucket: this.bucket, Key: s3Key };
    const contentType = 'application/octet-stream';
    return {
      putObject: async (body, length, signal) => {
        await withRetries(signal, () =>
          this.client.send(
            new PutObjectCommand({
              ...target,
              Body: body(),
              ContentLength: length,
              ContentType: contentType,
            }),
            { abortSignal: signal },
          ),
        );
      },
      createMultipartUpload: async () => {
        const { UploadId } = await this.client.send(
          new CreateMultipartUploadCommand({ ...target, ContentType: contentType }),
        );
        if (!UploadId) {
          throw new Error(`CreateMultipartUpload of ${s3Key} answered without an UploadId`);
        }
        return UploadId;
      },
      uploadPart: async (uploadId, partNumber, body, length, signal) => {
        const { ETag } = await withRetries(signal, () =>
          this.client.send(
            new UploadPartCommand({
              ...target,
              UploadId: uploadId,
              PartNumber: partNumber,
              Body: body(),
              ContentLength: length,
            }),
            { abortSignal: signal },
          ),
        );
        if (!ETag) {
          throw new Error(`UploadPart ${partNumber} of ${s3Key} answered without an ETag`);
        }
        return ETag;
      },
      completeMultipartUpload: async (uploadId, parts) => {
        await this.client.send(
          new CompleteMultipartUploadCommand({
            ...target,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
          }),
        );
      },
      abortMultipartUpload: async (uploadId) => {
        await this.client.send(new AbortMultipartUploadCommand({ ...target, UploadId: uploadId }));
      },
    };
  }

  /**
   * Aborts the multipart uploads under our prefix that were started more than `olderThanMs` ago and that no upload
   * of this process is writing: those of uploads cut off by kill -9, whose parts S3 would otherwise keep (and bill)
   * for ever unless the bucket has an AbortIncompleteMultipartUpload lifecycle rule. They were never visible. Deletes
   * the temporary objects of streamed uploads as old, which a crash between PutObject and publishing left.
   */
  async sweepTempFiles(olderThanMs: number, now: number = Date.now()): Promise<number> {
    let removed = 0;
    for await (const { s3Key } of this.oldTempObjects(olderThanMs, now)) {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: s3Key }));
      removed++;
    }
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: this.prefix ? `${this.prefix}/` : undefined,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      for (const upload of page.Uploads ?? []) {
        const { Key: key, UploadId: uploadId, Initiated: initiated } = upload;
        if (
          key === undefined ||
          uploadId === undefined ||
          (this.prefix && !key.startsWith(`${this.prefix}/`)) ||
          this.writing.has(key) ||
          initiated === undefined ||
          now - initiated.getTime() <= olderThanMs
        ) {
          continue;
        }
        await this.client.send(
          new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }),
        );
        removed++;
      }
      if (!page.IsTruncated || (page.NextKeyMarker === undefined && page.NextUploadIdMarker === undefined)) {
        return removed;
      }
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }

  /**
   * Multipart uploads under our prefix started more than `olderThanMs` ago and streamed uploads' temporary objects
   * written as long ago (those the sweep would remove).
   */
  async *listTempLeftovers(olderThanMs: number, now: number = Date.now()): AsyncGenerator<StoredEntry> {
    for await (const { s3Key, size } of this.oldTempObjects(olderThanMs, now)) {
      yield { key: s3Key, size };
    }
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: this.prefix ? `${this.prefix}/` : undefined,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      for (const { Key: key, UploadId: uploadId, Initiated: initiated } of page.Uploads ?? []) {
        if (
          key !== undefined &&
          uploadId !== undefined &&
          !this.writing.has(key) &&
          initiated !== undefined &&
          now - initiated.getTime() > olderThanMs
        ) {
          yield { key: `${key} (multipart upload ${uploadId})`, size: 0 };
        }
      }
      if (!page.IsTruncated || (page.NextKeyMarker === undefined && page.NextUploadIdMarker === undefined)) {
        return;
      }
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }

  /** Objects under `prefix/tmp/` last written more than `olderThanMs` ago that no upload of this process writes. */
  private async *oldTempObjects(
    olderThanMs: number,
    now: number,
  ): AsyncGenerator<{ s3Key: string; size: number }> {
    const start = this.prefix ? `${this.prefix}/${TEMP_DIRECTORY}/` : `${TEMP_DIRECTORY}/`;
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: start, ContinuationToken: token }),
      );
      for (const { Key: s3Key, Size: size, LastModified: written } of page.Contents ?? []) {
        if (
          s3Key?.startsWith(start) &&
          !this.writing.has(s3Key) &&
          written !== undefined &&
          now - written.getTime() > olderThanMs
        ) {
          yield { s3Key, size: size ?? 0 };
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** ListObjectsV2 under the prefix, a page (at most 1,000 keys) at a time; quarantined keys are left out. */
  async *listObjects(): AsyncGenerator<StoredEntry> {
    const start = this.prefix ? `${this.prefix}/` : '';
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: start || undefined,
          ContinuationToken: token,
        }),
      );
      for (const { Key: s3Key, Size: size } of page.Contents ?? []) {
        const key = s3Key?.slice(start.length);
        if (s3Key?.startsWith(start) && isValidKey(key)) {
          yield { key, size: size ?? 0 };
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /**
   * CopyObject to the quarantine key, then DeleteObject of the original: S3 has no rename. A single CopyObject takes
   * objects up to 5 GiB; a larger one fails here and stays where it is (still marked damaged by the caller).
   */
  async quarantine(key: string): Promise<string | undefined> {
    const source = this.keyOf(key);
    const target = quarantineKey(key, Date.now());
    const targetKey = this.prefix ? `${this.prefix}/${target}` : target;
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: targetKey,
          CopySource: `${this.bucket}/${source}`,
        }),
      );
    } catch (error) {
      if (isS3NotFound(error)) {
        return undefined;
      }
      throw error;
    }
    await this.delete(key);
    return target;
  }

  async verify(
    key: string,
    body: Readable,
    expected: ExpectedObject,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    await verifyAgainstStored(key, body, expected, (stored) => this.stat(stored), {
      signal: options.signal,
    });
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }),
      );
      return { size: head.ContentLength ?? 0 };
    } catch (error) {
      if (isS3NotFound(error)) {
        return undefined;
      }
      throw error;
    }
  }

  async open(key: string, range?: ByteRange, recorded?: { size: number }): Promise<Readable> {
    const s3Key = this.keyOf(key);
    if (range) {
      assertValidRange(range);
    }
    try {
      const response = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: s3Key,
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      if (!(response.Body instanceof Readable)) {
        throw new Error(`GetObject ${s3Key} returned no Node.js stream`);
      }
      const stored = storedSizeOf(response);
      if (recorded && stored !== undefined && stored !== recorded.size) {
        response.Body.destroy();
        throw new StoredSizeMismatchError(key, recorded.size, stored);
      }
      return response.Body;
    } catch (error) {
      if (isS3NotFound(error)) {
        throw new ObjectMissingError(key);
      }
      if (error instanceof S3ServiceException && error.name === 'InvalidRange') {
        throw new RangeError(`Range ${range?.start}-${range?.end} starts past the end of ${key}`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }));
    } catch (error) {
      // AWS answers 204 for a missing key, but some S3-compatible servers answer 404.
      if (!isS3NotFound(error)) {
        throw error;
      }
    }
  }

  async readMarker(): Promise<string | undefined> {
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.markerKey() }),
      );
      return (await response.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (isS3NotFound(error)) {
        return undefined;
      }
      throw error;
    }
  }

  /**
   * Reads first, then a PutObject with `If-None-Match: *`, which S3 (since 2024), MinIO and Ceph refuse with 412 when
   * the key exists; then, or after writing, the marker is read back. A server that ignores the condition (s3rver)
   * thus keeps an existing marker too, and only two writers at the same moment can both write there: the read back
   * tells each which one stayed.
   */
  async createMarker(content: string): Promise<string> {
    const existing = await this.readMarker();
    if (existing !== undefined) {
      return existing;
    }
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.markerKey(),
          Body: content,
          ContentType: 'application/json',
          IfNoneMatch: '*',
        }),
      );
    } catch (error) {
      if (!(error instanceof S3ServiceException && error.$metadata.httpStatusCode === 412)) {
        throw error;
      }
    }
    const stored = await this.readMarker();
    if (stored === undefined) {
      throw new Error(`${this.markerKey()} is not readable right after it was written to ${this.bucket}`);
    }
    return stored;
  }

  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  /** Closes the client's idle connections; call it when the storage is no longer used (shutdown, tests). */
  destroy(): void {
    this.client.destroy();
  }

  private markerKey(): string {
    return this.prefix ? `${this.prefix}/${STORAGE_MARKER_KEY}` : STORAGE_MARKER_KEY;
  }

  private keyOf(key: string): string {
    assertValidKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private partSizeFor(size: number): number {
    const partSize = Math.max(this.partSize, Math.ceil(size / S3_MAX_PARTS / MIB) * MIB);
    if (partSize > S3_MAX_PART_SIZE) {
      throw new RangeError(
        `An object of ${size} bytes needs parts over 64 MiB; S3 storage takes at most ${S3_MAX_PARTS * S3_MAX_PART_SIZE} bytes`,
      );
    }
    return partSize;
  }
}

/**
 * The whole stored object's size from a GetObject answer: its Content-Length, or for a ranged read the total after
 * the slash of its Content-Range; undefined when the server said neither.
 */
function storedSizeOf(response: { ContentLength?: number; ContentRange?: string }): number | undefined {
  if (response.ContentRange !== undefined) {
    const total = /\/(\d+)$/.exec(response.ContentRange)?.[1];
    return total === undefined ? undefined : Number(total);
  }
  return response.ContentLength;
}
