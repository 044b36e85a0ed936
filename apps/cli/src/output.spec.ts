import { describe, expect, it } from '@jest/globals';

import { formatTable } from './output.js';

describe(formatTable.name, () => {
  const columns = [
    { heading: 'name', value: (row: { name: string; size: number }) => row.name },
    { heading: 'size', value: (row: { name: string; size: number }) => String(row.size) },
  ];

  it('pads every column but the last to its widest cell, under upper-case headings', () => {
    expect(
      formatTable(
        [
          { name: 'a', size: 1 },
          { name: 'longer name', size: 12345 },
        ],
        columns,
        'none',
      ),
    ).toBe(['NAME         SIZE', 'a            1', 'longer name  12345'].join('\n'));
  });

  it('returns the empty text when there are no items', () => {
    expect(formatTable([], columns, 'no rows')).toBe('no rows');
  });

  it('keeps each row on one line whatever the values hold', () => {
    expect(formatTable([{ name: 'two\nlines', size: 1 }], columns, '')).toBe('NAME       SIZE\ntwo lines  1');
  });
});
