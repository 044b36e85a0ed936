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
