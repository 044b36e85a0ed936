import { describe, expect, it } from '@jest/globals';

import { parseLfsPointer } from './lfs-pointer.js';

const OID = 'a'.repeat(64);
const pointer = (lines: string[]) => `${lines.join('\n')}\n`;

describe(parseLfsPointer.name, () => {
  it('returns oid and size of a pointer as git-lfs writes it', () => {
    const text = pointer(['version https://git-lfs.github.com/spec/v1', `oid sha256:${OID}`, 'size 12345']);
    expect(parseLfsPointer(text)).toEqual({ oid: OID, size: 12345 });
    expect(parseLfsPointer(Buffer.from(text))).toEqual({ oid: OID, size: 12345 });
  });

  it('accepts extension lines and the pre-1.0 version url', () => {
    expect(
      parseLfsPointer(
        pointer([
          'version https://hawser.github.com/spec/v1',
          `ext-0-foo sha256:${'b'.repeat(64)}`,
          `oid sha256:${OID}`,
          'size 0',
        ]),
      ),
    ).toEqual({ oid: OID, size: 0 });
  });

  it.each([
    ['empty content', ''],
    ['plain text', 'hello\n'],
    ['no trailing newline', `version https://git-lfs.github.com/spec/v1\noid sha256:${OID}\nsize 1`],
    ['another version', pointer(['version https://example.com/spec/v2', `oid sha256:${OID}`, 'size 1'])],
    [
      'version not first',
      pointer([`oid sha256:${OID}`, 'version https://git-lfs.github.com/spec/v1', 'size 1']),
    ],
    [
      'uppercase oid',
      pointer(['version https://git-lfs.github.com/spec/v1', `oid sha256:${OID.toUpperCase()}`, 'size 1']),
    ],
    ['short oid', pointer(['version https://git-lfs.github.com/spec/v1', 'oid sha256:abc', 'size 1'])],
    ['other hash', pointer(['version https://git-lfs.github.com/spec/v1', `oid sha1:${OID}`, 'size 1'])],
    ['no size', pointer(['version https://git-lfs.github.com/spec/v1', `oid sha256:${OID}`])],
    [
      'negative size',
      pointer(['version https://git-lfs.github.com/spec/v1', `oid sha256:${OID}`, 'size -1']),
    ],
    [
      'size with leading zero',
      pointer(['version https://git-lfs.github.com/spec/v1', `oid sha256:${OID}`, 'size 01']),
    ],
    [
      'unknown key',
      pointer(['version https://git-lfs.github.com/spec/v1', `oid sha256:${OID}`, 'size 1', 'colour red']),
    ],
    [
      'more than 1024 bytes',
      pointer([
        'version https://git-lfs.github.com/spec/v1',
        `oid sha256:${OID}`,
        'size 1',
        `ext-0-x ${'y'.repeat(1024)}`,
      ]),
    ],
  ])('returns undefined for %s', (_case, text) => {
    expect(parseLfsPointer(text)).toBeUndefined();
  });
});
