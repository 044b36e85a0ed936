import { DomainError, ErrorCode, isRecord } from '@lfs-depot/contracts';

export const DEFAULT_LOCK_PAGE_SIZE = 100;
export const MAX_LOCK_PAGE_SIZE = 1000;
/** The longest ref name accepted (refs are not indexed). */
export const MAX_LOCK_PATH_LENGTH = 4096;
/**
 * The longest lock path, in UTF-8 bytes. Paths are keys of the unique (project_id, path) btree index, whose entries
 * must fit in a third of a page (2,704 bytes): a longer path that does not compress would fail the insert.
 */
export const MAX_LOCK_PATH_BYTES = 2048;

/** Largest value of the bigserial `lfs_file_locks.id`; longer digit strings can name no lock. */
const MAX_LOCK_ID = 9223372036854775807n;

export interface CreateLockRequest {
  path: string;
  refName: string | null;
}

export interface LockPageRequest {
  /** The id after which the page starts (exclusive), or null for the first page. */
  afterId: string | null;
  limit: number;
}

export interface ListLocksRequest extends LockPageRequest {
  path: string | null;
  /** Undefined for no id filter; null when an id was given that can name no lock (the list is then empty). */
  id: string | null | undefined;
}

export interface UnlockRequest {
  force: boolean;
}

function invalid(message: string): DomainError {
  return new DomainError(ErrorCode.VALIDATION_FAILED, message);
}

/**
 * Returns the id as stored when `value` can name a lock (a decimal bigint), else undefined. Ids travel as strings
 * (locking.md); anything else simply matches nothing, so a caller turns it into a 404 rather than a SQL error.
 */
export function parseLockId(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^\d{1,19}$/.test(value)) {
    return undefined;
  }
  const id = BigInt(value);
  return id >= 1n && id <= MAX_LOCK_ID ? id.toString() : undefined;
}

/** Text Postgres can store exactly: no NUL byte, and no lone UTF-16 surrogate that would be silently replaced. */
function isStorableText(value: string): boolean {
  return !value.includes('\0') && !/\p{Cs}/u.test(value);
}

/**
 * Why `path` is not a canonical repository path, or undefined when it is. Git names files relative to the root of the
 * working tree with "/" between folders; push enforcement compares those names byte for byte, so a lock on `./a`,
 * `/a`, `b/../a` or `a\\b` would never match the file `a` that git reports.
 */
export function lockPathProblem(path: string): string | undefined {
  if (path.includes('\\')) {
    return 'use "/" between folders, not "\\"';
  }
  if (path.startsWith('/')) {
    return 'it must be relative to the repository root, without a leading "/"';
  }
  if (path.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return 'it must not have empty, "." or ".." segments (nor a trailing "/")';
  }
  return undefined;
}

function parseLockPath(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalid(`${field} must be a non-empty string`);
  }
  if (Buffer.byteLength(value, 'utf8') > MAX_LOCK_PATH_BYTES) {
    throw invalid(`${field} must be at most ${MAX_LOCK_PATH_BYTES} bytes long (UTF-8)`);
  }
  if (!isStorableText(value)) {
    throw invalid(`${field} must not contain NUL characters or unpaired surrogates`);
  }
  const problem = lockPathProblem(value);
  if (problem) {
    throw invalid(
      `${field} ${JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value)} is not a path as git ` +
        `names it: ${problem}, e.g. "art/hero.psd"`,
    );
  }
  return value;
}

/** The optional `ref: {name}` of lock requests (added in locking API v2.4); null when absent. */
function parseRef(value: unknown): string | null {
  if (value === undefined || value === null) {
    return null;
  }
  if (!isRecord(value) || typeof value.name !== 'string') {
    throw invalid('ref must be an object with a string name');
  }
  if (value.name.length > MAX_LOCK_PATH_LENGTH || !isStorableText(value.name)) {
    throw invalid(`ref.name must be at most ${MAX_LOCK_PATH_LENGTH} characters, without NUL characters`);
  }
  return value.name;
}

function parseCursor(value: unknown): string | null {
  if (value === undefined || value === null || value === '') {
    return null;
  }
  const id = parseLockId(value);
  if (id === undefined) {
    throw invalid('cursor must be a next_cursor value returned by this server');
  }
  return id;
}

/** Page size from a query string or JSON number: missing means the default; above the maximum is capped. */
function parseLimit(value: unknown): number {
  if (value === undefined || value === null || value === '') {
    return DEFAULT_LOCK_PAGE_SIZE;
  }
  const limit = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) {
    throw invalid(`limit must be a positive integer (at most ${MAX_LOCK_PAGE_SIZE} are returned)`);
  }
  return Math.min(limit, MAX_LOCK_PAGE_SIZE);
}

/** Bodies of the JSON POST routes: a missing body reads as `{}` (unlock needs no fields). */
function requireBodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) {
    return {};
  }
  if (!isRecord(body)) {
    throw invalid('The request body must be a JSON object');
  }
  return body;
}

/** A query value given at most once (Express turns repeated keys into arrays). */
function singleQueryValue(query: Record<string, unknown>, key: string): string | undefined {
  const value = query[key];
  if (value === undefined || typeof value === 'string') {
    return value;
  }
  throw invalid(`${key} must be given at most once`);
}

/** `POST /locks` body. Unknown fields are ignored: locking.md expects the API to grow. */
export function parseCreateLockRequest(body: unknown): CreateLockRequest {
  const fields = requireBodyObject(body);
  return { path: parseLockPath(fields.path, 'path'), refName: parseRef(fields.ref) };
}

/** `GET /locks?path=&id=&cursor=&limit=&refspec=` (empty values count as absent, as in the spec's example). */
export function parseListLocksQuery(query: Record<string, unknown>): ListLocksRequest {
  const path = singleQueryValue(query, 'path');
  const id = singleQueryValue(query, 'id');
  const refspec = singleQueryValue(query, 'refspec');
  if (refspec !== undefined && !isStorableText(refspec)) {
    throw invalid('refspec must not contain NUL characters');
  }
  return {
    path: path ? parseLockPath(path, 'path') : null,
    id: id ? (parseLockId(id) ?? null) : undefined,
    afterId: parseCursor(singleQueryValue(query, 'cursor')),
    limit: parseLimit(singleQueryValue(query, 'limit')),
  };
}

/** `POST /locks/verify` body: `{cursor?, limit?, ref?}`. */
export function parseVerifyLocksRequest(body: unknown): LockPageRequest {
  const fields = requireBodyObject(body);
  parseRef(fields.ref);
  if (fields.cursor !== undefined && fields.cursor !== null && typeof fields.cursor !== 'string') {
    throw invalid('cursor must be a string');
  }
  if (typeof fields.limit === 'string') {
    throw invalid('limit must be a number');
  }
  return { afterId: parseCursor(fields.cursor), limit: parseLimit(fields.limit) };
}

/** `POST /locks/:id/unlock` body: `{force?, ref?}`. */
export function parseUnlockRequest(body: unknown): UnlockRequest {
  const fields = requireBodyObject(body);
  parseRef(fields.ref);
  if (fields.force !== undefined && fields.force !== null && typeof fields.force !== 'boolean') {
    throw invalid('force must be a boolean');
  }
  return { force: fields.force === true };
}
