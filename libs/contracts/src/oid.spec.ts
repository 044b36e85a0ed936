import { describe, expect, it } from '@jest/globals';

import { isValidOid, OID_PATTERN } from './oid.js';

const HEX64 = '0123456789abcdef'.repeat(4);

describe(isValidOid.name, () => {
  it.each([
    ['64 lowercase hex digits', HEX64, true],
    ['63 digits', HEX64.slice(1), false],
    ['65 digits', `${HEX64}0`, false],
    ['uppercase', HEX64.toUpperCase(), false],
    ['a trailing newline', `${HEX64.slice(1)}\n`, false],
    ['a letter past f', `${HEX64.slice(1)}g`, false],
    ['empty', '', false],
  ])('%s: %s', (_, value, valid) => {
    expect(isValidOid(value)).toBe(valid);
    expect(OID_PATTERN.test(value)).toBe(valid);
  });

  it.each([[undefined], [null], [42], [{}], [[HEX64]]])('%p is not a string, so not an oid', (value) => {
    expect(isValidOid(value)).toBe(false);
  });
});
