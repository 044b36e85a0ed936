import { randomBytes } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';
import { DomainError } from '@lfs-depot/contracts';

import { MAX_LOCK_PATH_BYTES, parseCreateLockRequest, parseListLocksQuery } from './locks-request.parser.js';

describe('parseCreateLockRequest', () => {
  it.each(['a', 'art/hero.psd', 'a b/c.d', '.gitattributes', 'dir/.hidden/x', '…/ü.psd'])(
    'returns the path %j as sent',
    (path) => {
      expect(parseCreateLockRequest({ path })).toEqual({ path, refName: null });
    },
  );

  it.each([
    ['/a', 'without a leading "/"'],
    ['./a', 'must not have empty, "." or ".." segments'],
    ['b/../a', 'must not have empty, "." or ".." segments'],
    ['a/', 'nor a trailing "/"'],
    ['a//b', 'must not have empty'],
    ['..', 'must not have empty'],
    ['a\\b', 'use "/" between folders, not "\\"'],
  ])('rejects the non-canonical path %j, which push enforcement would never match', (path, reason) => {
    expect(() => parseCreateLockRequest({ path })).toThrow(DomainError);
    expect(() => parseCreateLockRequest({ path })).toThrow(
      `path ${JSON.stringify(path)} is not a path as git names it: `,
    );
    expect(() => parseCreateLockRequest({ path })).toThrow(reason);
  });

  it('rejects a path longer than the index holds, counted in UTF-8 bytes', () => {
    const longest = 'é'.repeat(MAX_LOCK_PATH_BYTES / 2);
    expect(parseCreateLockRequest({ path: longest }).path).toBe(longest);
    // Poorly compressible, as the btree index failure needed.
    const random = randomBytes(1400).toString('hex').slice(0, 2700);
    expect(() => parseCreateLockRequest({ path: random })).toThrow(
      `at most ${MAX_LOCK_PATH_BYTES} bytes long`,
    );
    expect(() => parseCreateLockRequest({ path: `${longest}é` })).toThrow(DomainError);
  });

  it.each([{ toString: 1 }, ['a'], 1, null])('rejects the path %j of another type', (path) => {
    expect(() => parseCreateLockRequest({ path })).toThrow('path must be a non-empty string');
  });
});

describe('parseListLocksQuery', () => {
  it('rejects a non-canonical path filter as a lock would be', () => {
    expect(() => parseListLocksQuery({ path: './a' })).toThrow('is not a path as git names it');
  });
});
