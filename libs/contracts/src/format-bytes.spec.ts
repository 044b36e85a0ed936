import { describe, expect, it } from '@jest/globals';

import { formatBytes } from './format-bytes.js';

describe(formatBytes.name, () => {
  it.each([
    [0, '0 bytes'],
    [1023, '1023 bytes'],
    [1024, '1 KiB'],
    [1200, '1.17 KiB'],
    [1536, '1.5 KiB'],
    [1048575, '1 MiB'],
    [524288000, '500 MiB'],
    [1610612736, '1.5 GiB'],
    [10737418240, '10 GiB'],
    [16106127360, '15 GiB'],
    [1099511627776, '1 TiB'],
    [5 * 1024 ** 4, '5 TiB'],
    [2 ** 53 - 1, '8 PiB'],
  ])('formats %d as %j', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
