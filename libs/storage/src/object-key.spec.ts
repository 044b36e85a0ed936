import { describe, expect, it } from '@jest/globals';

import { assertValidKey, isValidKey, objectKey } from './object-key.js';

const OID = 'abcd' + '0123456789abcdef'.repeat(3) + '0123456789ab';

describe(objectKey.name, () => {
  it('returns the oid fanned out by its first four hex digits', () => {
    expect(objectKey(OID)).toBe(`ab/cd/${OID}`);
  });

  it.each([
    ['uppercase hex', OID.toUpperCase()],
    ['a short oid', OID.slice(1)],
    ['a long oid', `${OID}0`],
    ['non-hex digits', `${OID.slice(0, 63)}g`],
    ['a path', `../${OID.slice(3)}`],
  ])('rejects when given %s', (_case, oid) => {
    expect(() => objectKey(oid)).toThrow(TypeError);
  });

  it('rejects when given a non-string', () => {
    expect(() => objectKey(undefined as unknown as string)).toThrow(TypeError);
  });
});

describe(isValidKey.name, () => {
  it('returns true when the key is an object key or another plain relative path', () => {
    expect(isValidKey(objectKey(OID))).toBe(true);
    expect(isValidKey('a/b_c/d-e.f')).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['a parent reference', '../etc/passwd'],
    ['an inner parent reference', 'ab/../../x'],
    ['a current-directory segment', 'ab/./x'],
    ['absolute', '/etc/passwd'],
    ['an empty segment', 'ab//x'],
    ['a trailing slash', 'ab/'],
    ['a backslash', 'ab\\..\\x'],
    ['a hidden segment', 'ab/.x'],
    ['inside the reserved tmp folder', 'tmp/x'],
    ['the reserved tmp folder itself', 'tmp'],
    ['inside the reserved staging folder of direct uploads', `staging/${OID}/0123`],
    ['inside the quarantine folder (corrupt bytes are never served)', 'quarantine/ab_cd_x.1'],
    ['longer than 512 characters', 'a'.repeat(513)],
  ])('returns false when the key is %s', (_case, key) => {
    expect(isValidKey(key)).toBe(false);
  });

  it('returns false when the key is not a string', () => {
    expect(isValidKey(42)).toBe(false);
  });
});

describe(assertValidKey.name, () => {
  it('rejects when the key would escape the storage root', () => {
    expect(() => assertValidKey('../x')).toThrow(new TypeError('Invalid storage key: "../x"'));
  });

  it('returns when the key is valid', () => {
    expect(() => assertValidKey(objectKey(OID))).not.toThrow();
  });
});
