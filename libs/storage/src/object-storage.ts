import type { Readable } from 'node:stream';

/** What an upload claims to be; `oid` is the lowercase hex SHA-256 of the content. */
export interface ExpectedObject {
  oid: string;
  size: number;
}

/** One thing listed in storage: its key (or temp file name) and its size in bytes. */
export interface StoredEntry {
  key: string;
  size: number;
}

/** An inclusive byte range, as in an HTTP `Range: bytes=start-end` header. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The largest object `readSmall` reads: what one download may hold in memory at once instead of streaming, the size
 * of the read buffer a stream of such an object holds anyway.
 */
export const SMALL_READ_MAX = 64 * 1024;

/** Where object bytes live: local disk or an S3-compatible bucket. Keys come from `objectKey(oid)`. */
export interface ObjectStorage {
  readonly kind: 'file' | 's3';
  /**
   * Removes what uploads that died (kill -9) left behind, never that of an upload still in progress in this process;
   * returns how many. Local storage: temp files last written more than `olderThanMs` ago (TEMP_FILE_MAX_AGE_MS). S3:
   * multipart uploads under the prefix started more than `olderThanMs` ago (MULTIPART_UPLOAD_MAX_AGE_MS), aborted.
   */
  sweepTempFiles?(olderThanMs: number): Promise<number>;
  /**
   * Which way uploads are written, once what the backend finds out at start has been found (S3: whether the server
   * enforces checksums): one line for the start-up log. Never rejects.
   */
  describeUploads?(): Promise<string>;
  /**
   * Streams `body` into storage under `key` while hashing (SHA-256) and counting bytes. It always writes: an object
   * already under `key` is replaced, by verified identical bytes. The object becomes visible under `key` only after
   * the hash and size match `expected`; on any failure (mismatch, too many bytes, truncated body or stream error,
   * abort) nothing is left behind (no temp file, S3 multipart upload aborted), an object already under `key` stays,
   * and it rejects with StorageVerificationError (mismatch cases) or the underlying error.
   *
   * As with `stream.pipeline`, a failure destroys `body` if it has not ended yet: more bytes than `expected.size`
   * stop the read at once, so a proxy should refuse a wrong Content-Length before calling this if it wants to
   * answer on the same connection. A hash or short-size mismatch is only known once `body` has ended, so the
   * connection is still usable then. Aborting `signal` after every byte was received and verified does not undo
   * the commit; the promise then resolves.
   */
  put(
    key: string,
    body: Readable,
    expected: ExpectedObject,
    options?: { signal?: AbortSignal },
  ): Promise<void>;
  /**
   * Hashes and counts `body` as `put` does, but stores nothing: for an upload whose content is already stored under
   * `key` (deduplication), the uploader still proves it holds the bytes. Rejects like `put` on a mismatch, a body
   * error or an abort, and with ObjectMissingError when, once the body is verified, `key` no longer holds an object
   * of `expected.size` (deleted meanwhile), so that nothing gets linked to bytes that are gone. Which of `put` and
   * `verify` an upload needs is not decided here: the API decides it, once, when it authorizes the upload.
   */
  verify(
    key: string,
    body: Readable,
    expected: ExpectedObject,
    options?: { signal?: AbortSignal },
  ): Promise<void>;
  /** Size of the stored object, or undefined when absent. */
  stat(key: string): Promise<{ size: number } | undefined>;
  /**
   * Opens a read stream of the whole object or of an inclusive byte range (an end past the last byte is clamped);
   * rejects with ObjectMissingError when absent and with RangeError when the range starts past the last byte. Given
   * the object's recorded `size`, it rejects with StoredSizeMismatchError, before any byte is read, when the stored
   * object has another: a download must not send a complete answer of the wrong bytes.
   */
  open(key: string, range?: ByteRange, recorded?: { size: number }): Promise<Readable>;
  /**
   * Reads a small object whole, for a caller that knows its recorded `size` (at most SMALL_READ_MAX, else a
   * RangeError): resolves to its first `size + 1` bytes, so that stored bytes longer than recorded come back one byte
   * too many and shorter ones fewer. Rejects with ObjectMissingError when absent. A backend without it is read with
   * `open`.
   */
  readSmall?(key: string, size: number): Promise<Buffer>;
  /**
   * Every object stored, as key and size, in no particular order (scrub looks for bytes no row knows); upload temp
   * files and quarantined bytes are not objects. Streams: memory does not grow with the number of objects.
   */
  listObjects?(): AsyncIterable<StoredEntry>;
  /**
   * What uploads that died left behind more than `olderThanMs` ago (what `sweepTempFiles` would remove), as a name
   * and the bytes it holds (0 when unknown), without removing it.
   */
  listTempLeftovers?(olderThanMs: number): AsyncIterable<StoredEntry>;
  /**
   * Moves the object under `key` aside, to a key under `quarantine/` that no `open` ever reads (scrub's repair of
   * corrupt bytes: never served, never silently deleted); resolves to that key, or undefined when nothing was under
   * `key`.
   */
  quarantine?(key: string): Promise<string | undefined>;
  /** Deletes; no error when absent. */
  delete(key: string): Promise<void>;
  /** The storage marker's content (STORAGE_MARKER_KEY), or undefined when this storage has none. */
  readMarker(): Promise<string | undefined>;
  /**
   * Writes the storage marker unless one is there already, and resolves to the marker's content afterwards: `content`
   * when this call wrote it, else the one found (never replaced). S3 servers that ignore `If-None-Match` leave a
   * window in which two writers both write; the content read back then names the one that stayed.
   */
  createMarker(content: string): Promise<string>;
  /** Throws when the backend is not reachable/writable (used by readiness). */
  check(): Promise<void>;
}

/** Throws a RangeError unless `range` is a well-formed inclusive range (0 <= start <= end, safe integers). */
export function assertValidRange(range: ByteRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`Invalid byte range ${String(start)}-${String(end)}`);
  }
}
