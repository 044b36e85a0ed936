import { describe, expect, it } from '@jest/globals';

import { parseRange } from './byte-range.js';

describe(parseRange.name, () => {
  it.each([
    [undefined, { kind: 'none' }],
    ['bytes=0-9', { kind: 'range', range: { start: 0, end: 9 } }],
    ['bytes=90-', { kind: 'range', range: { start: 90, end: 99 } }],
    ['bytes=90-500', { kind: 'range', range: { start: 90, end: 99 } }],
    ['bytes=-10', { kind: 'range', range: { start: 90, end: 99 } }],
    ['bytes=-500', { kind: 'range', range: { start: 0, end: 99 } }],
    ['bytes=100-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=5-2', { kind: 'none' }],
    ['bytes=0-1,5-6', { kind: 'none' }],
    ['items=0-1', { kind: 'none' }],
  ])('returns the outcome of %j on a 100-byte object', (header, expected) => {
    expect(parseRange(header, 100)).toEqual(expected);
  });

  it('returns unsatisfiable for any range of an empty object', () => {
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-5', 0)).toEqual({ kind: 'unsatisfiable' });
  });
});
