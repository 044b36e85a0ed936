import { describe, expect, it } from '@jest/globals';
import { DomainError } from '@lfs-depot/contracts';

import { decodeCursor, encodeCursor, isRowId, pageOf } from './page-cursor.js';

describe('page cursors', () => {
  it('give back the key they were made from, whatever its characters', () => {
    for (const key of ['alice', 'games/engine', 'ünïcødé/ä b', '42', '']) {
      const cursor = encodeCursor('projects', key);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor('projects', cursor)).toBe(key);
    }
  });

  it.each([
    ['another list’s cursor', encodeCursor('users', 'alice')],
    ['plain text', 'alice'],
    ['base64url of something else', Buffer.from('{"a":1}').toString('base64url')],
    ['a key that fails the check', encodeCursor('projects', 'abc')],
    ['a NUL in the key', encodeCursor('projects', 'a\u0000b')],
    ['broken JSON', Buffer.from('["projects",').toString('base64url')],
    ['padding', `${encodeCursor('projects', 'x')}=`],
  ])('refuse %s with VALIDATION_FAILED', (_case, cursor) => {
    expect.assertions(2);
    try {
      decodeCursor('projects', cursor, (key) => key !== 'abc');
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({
        code: 'VALIDATION_FAILED',
        message: 'cursor must be the next_cursor of a previous page',
      });
    }
  });

  it('take row ids of at most 18 digits', () => {
    expect(isRowId('1')).toBe(true);
    expect(isRowId('9'.repeat(18))).toBe(true);
    expect(isRowId('9'.repeat(19))).toBe(false);
    expect(isRowId('-1')).toBe(false);
    expect(isRowId('1e3')).toBe(false);
  });

  it('point past the last row only when a row beyond the page was read', () => {
    const rows = ['a', 'b', 'c'];
    expect(pageOf('users', rows, 3, (row) => row)).toEqual({ items: rows, next_cursor: null });
    const page = pageOf('users', rows, 2, (row) => row);
    expect(page.items).toEqual(['a', 'b']);
    expect(decodeCursor('users', String(page.next_cursor))).toBe('b');
    expect(pageOf('users', [], 2, (row: string) => row)).toEqual({ items: [], next_cursor: null });
  });
});
