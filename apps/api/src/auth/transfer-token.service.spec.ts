import { createHmac } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import { ApiSecrets } from '../core/api-secrets.js';
import type { Principal } from '../core/principal.js';
import { TransferTokenService } from './transfer-token.service.js';

const INTERNAL_SECRET = 'internal-secret-0123456789-0123456789-abcdef';
const secrets = new ApiSecrets(
  'admin-token-0123456789',
  INTERNAL_SECRET,
  'api-secret-0123456789-0123456789-abcdef',
);
const alice: Principal = {
  userId: '42',
  username: 'alice',
  admin: false,
  tokenProjectId: null,
  maxRole: null,
};
const now = Date.UTC(2026, 10, 26, 12, 0, 0);

describe(TransferTokenService.name, () => {
  const tokens = new TransferTokenService(secrets);

  describe('issue', () => {
    it('returns a short token that verifies to its project, role and expiry', () => {
      const token = tokens.issue(alice, '7', 'write', 3600, now);
      expect(token.length).toBeLessThan(60);
      expect(tokens.verify(token, now)).toEqual({
        userId: '42',
        projectId: '7',
        role: 'write',
        expiresAt: now / 1000 + 3600,
      });
    });

    it('never outlives the credential it was issued for', () => {
      const token = tokens.issue({ ...alice, credentialExpiresAt: now / 1000 + 10 }, '7', 'read', 3600, now);
      expect(tokens.verify(token, now)?.expiresAt).toBe(now / 1000 + 10);
    });

    it('names the access token it was minted from, so its revocation can stop this one', () => {
      const token = tokens.issue({ ...alice, credentialTokenId: '9001' }, '7', 'read', 3600, now);
      expect(tokens.verify(token, now)?.parentTokenId).toBe('9001');
      expect(tokens.verify(tokens.issue(alice, '7', 'read', 3600, now), now)?.parentTokenId).toBeUndefined();
    });

    it('names the platform token that had it minted, apart from an access token of the same id', () => {
      const token = tokens.issue({ ...alice, credentialPlatformTokenId: '9001' }, '7', 'read', 3600, now);
      expect(tokens.verify(token, now)).toEqual({
        userId: '42',
        projectId: '7',
        role: 'read',
        expiresAt: now / 1000 + 3600,
        parentPlatformTokenId: '9001',
      });
    });
  });

  describe('verify', () => {
    it.each([1, 2])('refuses a version %d token, which could not name a platform token parent', (version) => {
      const token = tokens.issue(alice, '7', 'read', 3600, now);
      const payload = Buffer.from(token.slice('lfsx_'.length).split('.')[0] ?? '', 'base64url');
      payload[0] = version;
      const mac = createHmac('sha256', secrets.transferTokenKey)
        .update('lfs-depot transfer token v1\n')
        .update(payload)
        .digest()
        .subarray(0, 16);
      expect(
        tokens.verify(`lfsx_${payload.toString('base64url')}.${mac.toString('base64url')}`, now),
      ).toBeUndefined();
    });

    it('returns undefined once expired', () => {
      const token = tokens.issue(alice, '7', 'read', 60, now);
      expect(tokens.verify(token, now + 61_000)).toBeUndefined();
    });

    it('returns undefined for a token signed with another API secret', () => {
      const other = new TransferTokenService(
        new ApiSecrets('x'.repeat(20), INTERNAL_SECRET, 'another-secret-0123456789-0123456789-xyz'),
      );
      expect(tokens.verify(other.issue(alice, '7', 'write', 3600, now), now)).toBeUndefined();
    });

    it('returns undefined for a token made with INTERNAL_SECRET, all that the proxy holds', () => {
      const header = Buffer.alloc(6);
      header.writeUInt8(3, 0);
      header.writeUInt32BE(now / 1000 + 3600, 1);
      header.writeUInt8(3, 5);
      const payload = Buffer.concat([header, Buffer.from('42.7', 'latin1')]);
      // Exactly how tokens were made while one INTERNAL_SECRET keyed everything, with the raw secret or its keys.
      for (const key of [INTERNAL_SECRET, secrets.internal.request, secrets.internal.clientAddress]) {
        const mac = createHmac('sha256', key)
          .update('lfs-depot transfer token v1\n')
          .update(payload)
          .digest()
          .subarray(0, 16);
        expect(
          tokens.verify(`lfsx_${payload.toString('base64url')}.${mac.toString('base64url')}`, now),
        ).toBeUndefined();
      }
      // The same payload with the API's own key verifies: the key is what is refused above, not the payload.
      const mac = createHmac('sha256', secrets.transferTokenKey)
        .update('lfs-depot transfer token v1\n')
        .update(payload)
        .digest()
        .subarray(0, 16);
      expect(
        tokens.verify(`lfsx_${payload.toString('base64url')}.${mac.toString('base64url')}`, now),
      ).toEqual({
        userId: '42',
        projectId: '7',
        role: 'maintainer',
        expiresAt: now / 1000 + 3600,
      });
    });

    it('returns undefined when any byte of the payload was changed', () => {
      const token = tokens.issue(alice, '7', 'read', 3600, now);
      const [payload, mac] = token.slice('lfsx_'.length).split('.');
      const bytes = Buffer.from(payload ?? '', 'base64url');
      bytes[5] = 3; // read → maintainer
      expect(tokens.verify(`lfsx_${bytes.toString('base64url')}.${mac}`, now)).toBeUndefined();
    });

    it.each(['lfsx_', 'lfsx_abc', 'lfsx_a.b.c', 'lfsd_whatever', `lfsx_${'A'.repeat(300)}.x`])(
      'returns undefined for the malformed %j',
      (token) => {
        expect(tokens.verify(token, now)).toBeUndefined();
      },
    );
  });
});
