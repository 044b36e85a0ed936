import { describe, expect, it } from '@jest/globals';

import { signClientAddress, verifyClientAddress } from './internal-token.js';

const SECRET = 'client-address-test-secret-0123456789';

describe(signClientAddress.name, () => {
  it('returns a value that verifies to the address, for IPv4 and IPv6 alike', () => {
    for (const address of ['203.0.113.7', '::ffff:127.0.0.1', '2001:db8::1']) {
      expect(verifyClientAddress(SECRET, signClientAddress(SECRET, address))).toBe(address);
    }
  });
});

describe(verifyClientAddress.name, () => {
  const now = Date.UTC(2026, 0, 1);

  it.each([
    ['no header', undefined],
    ['a bare address, as a client could send it', '203.0.113.7'],
    ['another secret', signClientAddress('another-secret-0123456789-0123456789', '203.0.113.7', now)],
    [
      'a changed address',
      signClientAddress(SECRET, '203.0.113.7', now).replace('203.0.113.7', '203.0.113.8'),
    ],
    ['a signature older than a minute', signClientAddress(SECRET, '203.0.113.7', now - 61_000)],
  ])('returns undefined for %s', (_, header) => {
    expect(verifyClientAddress(SECRET, header, now)).toBeUndefined();
  });
});
