// s3rver ships no type declarations; this covers the part the test helper uses.
declare module 's3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }

  /** s3rver's FilesystemStore: the methods that write (put, copy) and read one object. */
  interface S3rverStore {
    putObject(object: { bucket: string; key: string }): Promise<unknown>;
    getObject(bucket: string, key: string, options?: unknown): Promise<unknown>;
    copyObject(
      srcBucket: string,
      srcKey: string,
      destBucket: string,
      destKey: string,
      replacementMetadata: unknown,
    ): Promise<unknown>;
    deleteObject(bucket: string, key: string): Promise<unknown>;
    getResourcePath(bucket: string, key: string, resource: string): string;
  }

  export default class S3rver {
    constructor(options?: S3rverOptions);
    readonly logger: { close(): void };
    readonly store: S3rverStore;
    configureBuckets(): Promise<void>;
    /** The Koa request listener, for mounting s3rver in an http.Server of one's own. */
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
  }
}
