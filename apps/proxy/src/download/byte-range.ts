import type { ByteRange } from '@lfs-depot/storage';

/** The outcome of a Range header against an object of `size` bytes (RFC 9110 §14). */
export type RangeRequest = { kind: 'none' } | { kind: 'range'; range: ByteRange } | { kind: 'unsatisfiable' };

/**
 * Parses a single `bytes=` range. Multiple ranges or a malformed header are ignored (the whole object is sent),
 * which RFC 9110 allows; a range that starts past the end is unsatisfiable (416).
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!match || (match[1] === '' && match[2] === '')) {
    return { kind: 'none' };
  }
  const [, first = '', last = ''] = match;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) {
      return { kind: 'unsatisfiable' };
    }
    return size === 0
      ? { kind: 'unsatisfiable' }
      : { kind: 'range', range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (!Number.isSafeInteger(start) || start >= size) {
    return { kind: 'unsatisfiable' };
  }
  if (end < start) {
    return { kind: 'none' };
  }
  return { kind: 'range', range: { start, end } };
}
