import { describe, expect, it } from '@jest/globals';

import { describeBytes, parseSize } from './bytes.js';

describe('bytes', () => {
  describe(parseSize.name, () => {
    it.each([
      ['0', 0],
      ['1024', 1024],
      ['1K', 1024],
      ['2k', 2048],
      ['500M', 524288000],
      ['10G', 10737418240],
      ['10GiB', 10737418240],
      ['10gb', 10737418240],
      ['1T', 1099511627776],
      ['1.5G', 1610612736],
      [' 64 M ', 67108864],
      ['100B', 100],
      ['0.1K', 102],
    ])('returns the bytes of %j', (text, bytes) => {
      expect(parseSize(text)).toBe(bytes);
    });

    it.each(['', 'G', 'ten', '-1', '10X', '1.2.3', '10 G B', '1e3', '0x10'])('rejects %j', (text) => {
      expect(() => parseSize(text)).toThrow('is not a size');
    });

    it('rejects sizes beyond what a JS number holds exactly', () => {
      expect(() => parseSize('9000000P')).toThrow("'9000000P' is too large");
    });
  });

  describe(describeBytes.name, () => {
    it('gives both units and exact bytes, or only bytes below 1 KiB', () => {
      expect(describeBytes(10737418240)).toBe('10 GiB (10737418240 bytes)');
      expect(describeBytes(1200)).toBe('1.17 KiB (1200 bytes)');
      expect(describeBytes(512)).toBe('512 bytes');
    });
  });
});
