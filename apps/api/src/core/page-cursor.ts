import { DomainError, ErrorCode } from '@lfs-depot/contracts';

/** The listings that page, each with its own cursors: one list's cursor given to another is refused. */
export type CursorKind =
  'audit' | 'users' | 'projects' | 'members' | 'tokens' | 'platform-tokens' | 'locks' | 'objects' | 'jobs';

/**
 * An opaque cursor for the row after which the next page starts: the listing's kind and the row's sort key, as
 * base64url JSON. Keyset paging (never an offset), so rows inserted meanwhile neither repeat nor skip a row.
 */
export function encodeCursor(kind: CursorKind, key: string): string {
  return Buffer.from(JSON.stringify([kind, key]), 'utf8').toString('base64url');
}

/** The sort key in a cursor of `kind`; VALIDATION_FAILED for anything that is not one (or fails `valid`). */
export function decodeCursor(
  kind: CursorKind,
  cursor: string,
  valid: (key: string) => boolean = () => true,
): string {
  let decoded: unknown;
  try {
    decoded = /^[A-Za-z0-9_-]+$/.test(cursor)
      ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
      : undefined;
  } catch {
    decoded = undefined;
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 2 ||
    decoded[0] !== kind ||
    typeof decoded[1] !== 'string' ||
    decoded[1].includes('\u0000') ||
    !valid(decoded[1])
  ) {
    throw new DomainError(ErrorCode.VALIDATION_FAILED, 'cursor must be the next_cursor of a previous page');
  }
  return decoded[1];
}

/** Whether a cursor key is a bigint row id. */
export function isRowId(key: string): boolean {
  return /^\d{1,18}$/.test(key);
}

/**
 * The page of `rows` (fetched with limit + 1, to know whether more follow without a count) and the cursor of its
 * last row when more follow.
 */
export function pageOf<T>(
  kind: CursorKind,
  rows: readonly T[],
  limit: number,
  key: (row: T) => string,
): { items: T[]; next_cursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items,
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(kind, key(last)) : null,
  };
}
