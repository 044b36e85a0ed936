import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { STORAGE_MARKER_KEY } from '@lfs-depot/storage';
import { S3Storage } from '@lfs-depot/storage/s3';
import type { S3TestServer } from '@lfs-depot/testing';
import { s3ConnectionOf, startS3Server } from '@lfs-depot/testing';

/**
 * The S3 variant of a spec's storage: `start` launches an S3-compatible server (s3rver) of the spec's own and answers
 * an S3Storage on it under `objects/`; `stop` stops that server (nothing when it never started). Both are plain
 * functions, to hand to a spec's storage option and its afterAll.
 */
export function s3TestStorage(): { start: () => Promise<S3Storage>; stop: () => Promise<void> } {
  let server: S3TestServer | undefined;
  return {
    start: async () => {
      server = await startS3Server();
      return new S3Storage({
        ...s3ConnectionOf(server),
        bucket: server.bucket,
        prefix: 'objects',
      });
    },
    stop: async () => {
      await server?.stop();
      server = undefined;
    },
  };
}

/**
 * The keys in `bucket`, sorted, without the storage markers the API writes at each prefix's root (README "One
 * storage, one database"): what specs compare against the objects they stored.
 */
export async function bucketObjectKeys(client: S3Client, bucket: string): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? [])
    .map((entry) => entry.Key ?? '')
    .filter((key) => key !== STORAGE_MARKER_KEY && !key.endsWith(`/${STORAGE_MARKER_KEY}`))
    .sort();
}
