import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';

import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';

import { isS3NotFound } from './s3-not-found.js';

/** Whether the S3 server refuses a PutObject whose bytes do not match its `x-amz-checksum-sha256`, and why we think so. */
export interface ChecksumVerdict {
  enforced: boolean;
  /** One line for people: what the probe saw, or which setting decided. */
  reason: string;
  /** False when the probe could not tell (an unreachable server, a refusal for another reason): worth asking again. */
  conclusive: boolean;
}

/**
 * The error codes S3 servers answer a checksum mismatch with: BadDigest (AWS S3, Ceph RGW), InvalidRequest (AWS for
 * some checksum problems), XAmzContentChecksumMismatch (MinIO).
 */
const CHECKSUM_REFUSALS = new Set(['BadDigest', 'InvalidRequest', 'XAmzContentChecksumMismatch']);

/**
 * Asks the server whether uploads may go straight to an object's key, in three steps under `probeKey` (a key of
 * `tmp/`, never an object's): a PutObject of a few bytes with the checksum of other bytes must be refused with a
 * checksum error; one with the right checksum must be accepted (a server that refuses the header whatever it says
 * enforces nothing we can use), and is the probe object; a PutObject of other bytes over it, with their checksum and
 * Content-Length, cut off after part of its body (cutShortPut), must leave the probe object as it was. A server that
 * keeps a short body, or drops the stored object, would let a cut-off re-upload destroy an object stored under its
 * key. The probe key is deleted either way; one a failed delete leaves is swept with the other temporary objects.
 */
export async function probeChecksumEnforcement(
  client: S3Client,
  bucket: string,
  probeKey: string,
): Promise<ChecksumVerdict> {
  const body = randomBytes(32);
  const put = (checksumOf: Buffer) =>
    client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: probeKey,
        Body: body,
        ContentLength: body.length,
        ContentType: 'application/octet-stream',
        ChecksumSHA256: createHash('sha256').update(checksumOf).digest('base64'),
      }),
    );
  try {
    try {
      await put(Buffer.concat([body, Buffer.from('x')]));
      return {
        enforced: false,
        conclusive: true,
        reason: 'the S3 server stored a PutObject whose x-amz-checksum-sha256 does not match its bytes',
      };
    } catch (error) {
      if (!(error instanceof S3ServiceException) || !CHECKSUM_REFUSALS.has(error.name)) {
        return inconclusive(error);
      }
    }
    try {
      await put(body);
    } catch (error) {
      return error instanceof S3ServiceException
        ? {
            enforced: false,
            conclusive: true,
            reason: `the S3 server refused a PutObject with a wrong x-amz-checksum-sha256 but also one with the right one (${error.name})`,
          }
        : inconclusive(error);
    }
    return await cutShortPutVerdict(client, bucket, probeKey, body);
  } finally {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: probeKey })).catch(() => undefined);
  }
}

/**
 * The third step: whether the probe object `stored` is still intact after a PutObject over it was cut short of its
 * Content-Length.
 */
async function cutShortPutVerdict(
  client: S3Client,
  bucket: string,
  probeKey: string,
  stored: Buffer,
): Promise<ChecksumVerdict> {
  try {
    await cutShortPut(client, bucket, probeKey, randomBytes(stored.length));
  } catch (error) {
    return inconclusive(error);
  }
  let readBack: Buffer;
  try {
    const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: probeKey }));
    if (!(answer.Body instanceof Readable)) {
      throw new Error(`GetObject ${probeKey} returned no Node.js stream`);
    }
    readBack = await buffer(answer.Body);
  } catch (error) {
    return isS3NotFound(error)
      ? {
          enforced: false,
          conclusive: true,
          reason: 'the S3 server lost an object when a PutObject over it was cut short of its Content-Length',
        }
      : inconclusive(error);
  }
  return readBack.equals(stored)
    ? {
        enforced: true,
        conclusive: true,
        reason:
          'the S3 server refused a PutObject whose x-amz-checksum-sha256 does not match its bytes and kept an object intact when a PutObject over it was cut short',
      }
    : {
        enforced: false,
        conclusive: true,
        reason: `the S3 server replaced an object with ${readBack.length} bytes of a PutObject over it that was cut short of its Content-Length`,
      };
}

/**
 * Starts a PutObject of `body` to `key` with its checksum and its full Content-Length, and cuts its connection once
 * half the body was written to it. `Expect: 100-continue` makes the SDK write the body only once the server has the
 * request and answered, so the half is written to a connected socket and reaches the server before the cut; without
 * it the cut could come before any byte left, and the server would have no short body to keep. Rejects when the
 * request failed before its body started (then it proves nothing); a server that answers it as stored all the same
 * is judged by what it then holds.
 */
async function cutShortPut(client: S3Client, bucket: string, key: string, body: Buffer): Promise<void> {
  const controller = new AbortController();
  let taken = false;
  const partial = new Readable({
    read() {
      if (!taken) {
        taken = true;
        this.push(body.subarray(0, body.length >> 1));
        return;
      }
      // Asked for more: the half is on its way into the request, which writes it before the next turn of the event
      // loop. The rest never comes; the request is cut instead.
      setImmediate(() => controller.abort());
    },
  });
  const command = new PutObjectCommand({
    Bucket: bucket,
    Key: key,
    Body: partial,
    ContentLength: body.length,
    ContentType: 'application/octet-stream',
    ChecksumSHA256: createHash('sha256').update(body).digest('base64'),
  });
  command.middlewareStack.add(
    (next, context) => (args) => {
      const { request } = args as { request: { headers?: Record<string, string> } };
      if (request.headers) {
        request.headers.Expect = '100-continue';
      }
      // The SDK warns on the console about every failed streaming request; this one fails on purpose at each start.
      context.logger = QUIET;
      return next(args);
    },
    { step: 'build', name: 'cutShortProbe' },
  );
  try {
    await client.send(command, { abortSignal: controller.signal });
  } catch (error) {
    if (!taken) {
      // Answered or failed before the body started: nothing was cut, so the probe object would prove nothing.
      throw error;
    }
  } finally {
    partial.destroy();
  }
}

const QUIET = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

function inconclusive(error: unknown): ChecksumVerdict {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return {
    enforced: false,
    conclusive: false,
    reason: `the checksum probe failed (${name}: ${message}); uploads take the temporary key until a probe succeeds`,
  };
}
