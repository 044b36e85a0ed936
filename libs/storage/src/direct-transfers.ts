import type { ExpectedObject } from './object-storage.js';

/** A presigned upload: where git-lfs PUTs the bytes, the headers the signature covers, and the staging key. */
export interface StagedUpload {
  href: string;
  /** Headers the client must send as they are (signed): the oid's SHA-256 as S3 expects it. */
  header: Record<string, string>;
  /** The per-upload key the bytes land under; never an object's key. */
  stagingKey: string;
}

/** How a staged upload was proven: by the SHA-256 S3 attests, or by reading it through a hash. */
export type StagedProof = 'checksum' | 'rehash';

/**
 * Transfers between git-lfs and the storage backend itself, with presigned URLs (DIRECT_TRANSFERS): only S3 storage
 * has them. Uploads never reach an object's key directly: they land under a staging key, and `commitStaged` moves
 * them to the object's key only once their size and SHA-256 were proven.
 */
export interface DirectTransfers {
  /** A URL that reads the object under `key` (Range honoured) for `expiresIn` seconds, with no other credential. */
  presignDownload(key: string, expiresIn: number): Promise<string>;
  /** A URL that takes one PUT of exactly `expected.size` bytes to a new staging key, for `expiresIn` seconds. */
  presignUpload(expected: ExpectedObject, expiresIn: number): Promise<StagedUpload>;
  /**
   * Proves what the client uploaded to `stagingKey` and moves it to `key` server-side (unless `replace` is false and
   * `key` already holds the object), so that `key` only ever receives the proven bytes: they are first copied to a
   * key no URL names, proven there (size, then SHA-256), and copied from there; a client rewriting the staging object
   * meanwhile changes nothing. Always removes what the upload staged. Rejects with StorageVerificationError when the
   * bytes are not `expected` and with ObjectMissingError when nothing was uploaded.
   */
  commitStaged(
    stagingKey: string,
    key: string,
    expected: ExpectedObject,
    options: { replace: boolean },
  ): Promise<StagedProof>;
  /** Removes a staged upload (and its held copy); no error when absent. */
  discardStaged(stagingKey: string): Promise<void>;
  /** Removes staged uploads last written more than `olderThanMs` ago (never verified); returns how many. */
  sweepStaged(olderThanMs: number, now?: number): Promise<number>;
  /** Closes what it holds open (connections); call it at shutdown. */
  destroy(): void;
}
