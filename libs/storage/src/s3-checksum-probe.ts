import { createHash, randomBytes } from 'node:crypto';

import { DeleteObjectCommand, PutObjectCommand, type S3Client, S3ServiceException } from '@aws-sdk/client-s3';

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
 * Asks the server whether it enforces `x-amz-checksum-sha256`: a PutObject of a few bytes under `probeKey` (a key of
 * `tmp/`, never an object's) with the checksum of other bytes must be refused with a checksum error, and one with the
 * right checksum must be accepted (a server that refuses the header whatever it says enforces nothing we can use).
 * The probe key is deleted either way; one a failed delete leaves is swept with the other temporary objects.
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
    return {
      enforced: true,
      conclusive: true,
      reason: 'the S3 server refused a PutObject whose x-amz-checksum-sha256 does not match its bytes',
    };
  } finally {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: probeKey })).catch(() => undefined);
  }
}

function inconclusive(error: unknown): ChecksumVerdict {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return {
    enforced: false,
    conclusive: false,
    reason: `the checksum probe failed (${name}: ${message}); uploads take the temporary key until a probe succeeds`,
  };
}
