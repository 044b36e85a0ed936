import { isValidOid } from '@lfs-depot/contracts';

/** Top-level folder (local) or key segment (S3) that both backends keep for in-flight uploads. */
export const TEMP_DIRECTORY = 'tmp';
/** Key segment (S3) of direct uploads not yet proven (DIRECT_TRANSFERS=all); no object key may lie under it. */
export const STAGING_DIRECTORY = 'staging';

/** Top-level folder (local) or key segment (S3) where scrub moves corrupt bytes aside: never an object's key. */
export const QUARANTINE_DIRECTORY = 'quarantine';

/**
 * The storage marker, at the root of the folder or prefix beside the fan-out folders: it names the storage id that
 * ties this storage to one lfs-depot database (README "One storage, one database"). Never an object's key, so no
 * listing of objects, purge or migration ever meets it.
 */
export const STORAGE_MARKER_KEY = 'lfs-depot-storage.json';

/** The key, under QUARANTINE_DIRECTORY, that corrupt bytes found under `key` are moved to at `at` (ms since epoch). */
export function quarantineKey(key: string, at: number): string {
  return `${QUARANTINE_DIRECTORY}/${key.replaceAll('/', '_')}.${at}`;
}

/**
 * Age past which an upload temp file with no upload of this process behind it is swept (at proxy start and every
 * hour): far beyond any upload's idle time, so only leftovers of crashed uploads go.
 */
export const TEMP_FILE_MAX_AGE_MS = 24 * 3600 * 1000;

/**
 * Age after which an S3 multipart upload still open was left by an upload that died: S3 says only when one was
 * started, and an upload cannot be finalized more than 48 hours after its authorization (the API's ticket), so one
 * started before that can never become an object. An hour more for clocks that disagree.
 */
export const MULTIPART_UPLOAD_MAX_AGE_MS = 49 * 3600 * 1000;

// No segment may start with a dot, which rules out "." and ".." (path traversal) along with hidden files.
const KEY_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;
const MAX_KEY_LENGTH = 512;

/** Storage key of an object: `ab/cd/abcd…` (two-level fan-out on the first four hex digits keeps folders small). */
export function objectKey(oid: string): string {
  if (!isValidOid(oid)) {
    throw new TypeError(`Not a sha256 oid: ${JSON.stringify(String(oid).slice(0, 80))}`);
  }
  return `${oid.slice(0, 2)}/${oid.slice(2, 4)}/${oid}`;
}

/**
 * Returns whether `key` is a relative path of plain segments that stays inside storage and outside `tmp/`,
 * `staging/` and `quarantine/`, and is not the storage marker.
 */
export function isValidKey(key: unknown): key is string {
  if (
    typeof key !== 'string' ||
    key.length > MAX_KEY_LENGTH ||
    !KEY_PATTERN.test(key) ||
    key === STORAGE_MARKER_KEY
  ) {
    return false;
  }
  const top = key.split('/', 1)[0];
  return top !== TEMP_DIRECTORY && top !== STAGING_DIRECTORY && top !== QUARANTINE_DIRECTORY;
}

/** Throws a TypeError unless `isValidKey(key)`. */
export function assertValidKey(key: unknown): asserts key is string {
  if (!isValidKey(key)) {
    throw new TypeError(`Invalid storage key: ${JSON.stringify(String(key).slice(0, 80))}`);
  }
}
