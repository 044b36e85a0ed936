import { describe, expect, it } from '@jest/globals';

import {
  ClientAddressSignatures,
  signClientAddress,
  signInternalRequest,
  verifyClientAddress,
  verifyInternalRequest,
} from './internal-token.js';
import { deriveKey, internalKeys } from './keys.js';

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

describe(verifyInternalRequest.name, () => {
  const keys = internalKeys(SECRET);
  const now = Date.UTC(2026, 0, 1);
  const body = '{"oid":"a"}';

  it('returns the nonce of a signature made for exactly this call, a fresh one each time', () => {
    const first = signInternalRequest(keys.request, 'POST', '/internal/uploads/authorize', body, now);
    const second = signInternalRequest(keys.request, 'POST', '/internal/uploads/authorize', body, now);

    const verified = verifyInternalRequest(
      keys.request,
      first,
      'post',
      '/internal/uploads/authorize',
      body,
      now,
    );

    expect(verified).toEqual({ timestamp: now / 1000, nonce: expect.stringMatching(/^[\w-]{22}$/) });
    expect(
      verifyInternalRequest(keys.request, second, 'POST', '/internal/uploads/authorize', body, now)?.nonce,
    ).not.toBe(verified?.nonce);
  });

  it.each([
    ['another key', (s: string) => s, deriveKey(SECRET, 'client-address')],
    ['a changed nonce', (s: string) => s.replace(/n=./, 'n=Z'), undefined],
    ['no nonce (the format before nonces)', (s: string) => s.replace(/,n=[^,]+/, ''), undefined],
  ])('returns undefined for %s', (_, change, key) => {
    const header = change(signInternalRequest(key ?? keys.request, 'POST', '/p', body, now, 'n'.repeat(22)));
    expect(verifyInternalRequest(keys.request, header, 'POST', '/p', body, now)).toBeUndefined();
  });

  it('returns undefined for another path, body or a signature older than a minute', () => {
    const header = signInternalRequest(keys.request, 'POST', '/p', body, now);
    expect(verifyInternalRequest(keys.request, header, 'POST', '/q', body, now)).toBeUndefined();
    expect(verifyInternalRequest(keys.request, header, 'POST', '/p', '{}', now)).toBeUndefined();
    expect(verifyInternalRequest(keys.request, header, 'POST', '/p', body, now + 61_000)).toBeUndefined();
  });
});

describe(deriveKey.name, () => {
  it('returns a different 256-bit key for every purpose, and the same one every time', () => {
    const purposes = [
      'internal-request',
      'client-address',
      'transfer-token',
      'upload-ticket',
      'password-cache',
    ] as const;
    const keys = purposes.map((purpose) => deriveKey(SECRET, purpose).toString('hex'));

    expect(new Set(keys).size).toBe(purposes.length);
    expect(keys.every((key) => key.length === 64)).toBe(true);
    expect(deriveKey(SECRET, 'upload-ticket').toString('hex')).toBe(keys[3]);
  });
});

describe(ClientAddressSignatures.name, () => {
  const now = Date.UTC(2026, 0, 1);

  describe('sign', () => {
    it('returns what signClientAddress does, again within the second and anew in the next one', () => {
      const signatures = new ClientAddressSignatures(SECRET);
      expect(signatures.sign('203.0.113.7', now)).toBe(signClientAddress(SECRET, '203.0.113.7', now));
      expect(signatures.sign('203.0.113.7', now + 999)).toBe(signClientAddress(SECRET, '203.0.113.7', now));
      expect(signatures.sign('203.0.113.8', now + 999)).toBe(signClientAddress(SECRET, '203.0.113.8', now));
      expect(signatures.sign('203.0.113.8', now + 1000)).toBe(
        signClientAddress(SECRET, '203.0.113.8', now + 1000),
      );
    });
  });

  describe('verify', () => {
    it('returns the address of a value it accepted before, and undefined once that value is too old', () => {
      const signatures = new ClientAddressSignatures(SECRET);
      const header = signClientAddress(SECRET, '203.0.113.7', now);
      expect(signatures.verify(header, now)).toBe('203.0.113.7');
      expect(signatures.verify(header, now + 60_000)).toBe('203.0.113.7');
      expect(signatures.verify(header, now + 61_000)).toBeUndefined();
    });

    it('returns undefined for values it never accepted, right after accepting another', () => {
      const signatures = new ClientAddressSignatures(SECRET);
      const header = signClientAddress(SECRET, '203.0.113.7', now);
      expect(signatures.verify(header, now)).toBe('203.0.113.7');
      expect(signatures.verify(header.replace('203.0.113.7', '203.0.113.8'), now)).toBeUndefined();
      expect(
        signatures.verify(signClientAddress('another-secret-0123456789-0123456789', '203.0.113.7', now), now),
      ).toBeUndefined();
      expect(signatures.verify(undefined, now)).toBeUndefined();
      expect(signatures.verify(header, now)).toBe('203.0.113.7');
    });
  });
});
