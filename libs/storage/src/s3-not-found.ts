import { S3ServiceException } from '@aws-sdk/client-s3';

/** Whether an S3 call failed because the key is absent (not the bucket): NoSuchKey, NotFound or a bare 404. */
export function isS3NotFound(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    error.name !== 'NoSuchBucket' &&
    (error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404)
  );
}
