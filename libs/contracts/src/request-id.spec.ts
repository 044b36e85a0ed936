import { describe, expect, it } from '@jest/globals';

import { requestIdFrom } from './request-id.js';

describe(requestIdFrom.name, () => {
  it('keeps a sane id the caller sent', () => {
    expect(requestIdFrom('proxy-0123456789')).toBe('proxy-0123456789');
  });

  it.each([
    ['too short', 'short'],
    ['too long', 'x'.repeat(65)],
    ['with a space', 'abc def ghi'],
    ['with a newline', 'abcdefgh\n'],
  ])('makes a new one for an id %s', (_, given) => {
    const id = requestIdFrom(given);
    expect(id).not.toBe(given);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('makes a new one when none or several were sent', () => {
    expect(requestIdFrom(undefined)).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFrom(['aaaaaaaaaa', 'bbbbbbbbbb'])).toMatch(/^[0-9a-f-]{36}$/);
  });
});
