import { S3Client } from '@aws-sdk/client-s3';

/** Default S3_CONNECT_TIMEOUT_SECONDS, in milliseconds. */
export const DEFAULT_S3_CONNECT_TIMEOUT_MS = 10_000;
/** Default S3_REQUEST_TIMEOUT_SECONDS, in milliseconds. */
export const DEFAULT_S3_REQUEST_TIMEOUT_MS = 120_000;

/** Where the bucket is and how to reach it: what S3Storage and S3DirectTransfers share. */
export interface S3ConnectionOptions {
  bucket: string;
  /** Key prefix inside the bucket, '' for none; surrounding slashes are ignored (both must name the same objects). */
  prefix: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Most time to open a connection to the endpoint (default 10 s). */
  connectTimeoutMs?: number;
  /**
   * An S3 request whose connection moves no byte for this long fails with a TimeoutError (default 120 s). Idle time,
   * not total time: a large part or a long download is never cut while its bytes move.
   */
  requestTimeoutMs?: number;
}

/** The S3 client for `options`, with the connection and idle timeouts that keep a hung endpoint from hanging us. */
export function createS3Client(options: S3ConnectionOptions): S3Client {
  return new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle,
    credentials: options.credentials,
    // Since early 2025 the SDK adds CRC32 checksums to every upload and validates them on download; many
    // S3-compatible servers (s3rver, older MinIO, Ceph RGW, some clouds) reject or lack them. Our SHA-256
    // check already covers integrity end to end, so only send checksums where an operation requires one.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Without these the SDK waits forever on an endpoint that accepts a connection and never answers.
    // socketTimeout is the idle timeout (requestTimeout would be a total one, and only a warning).
    requestHandler: {
      connectionTimeout: options.connectTimeoutMs ?? DEFAULT_S3_CONNECT_TIMEOUT_MS,
      socketTimeout: options.requestTimeoutMs ?? DEFAULT_S3_REQUEST_TIMEOUT_MS,
    },
  });
}
