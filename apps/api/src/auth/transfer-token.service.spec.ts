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
const project = { id: '7', path: 'team/main' };

/** A version-4 token body as an attacker would assemble it, MAC'd with `key` and a signature of zeros. */
function forged(key: Buffer | string, version = 4, role = 3): string {
  const header = Buffer.alloc(6);
  header.writeUInt8(version, 0);
  header.writeUInt32BE(now / 1000 + 3600, 1);
  header.writeUInt8(role, 5);
  const payload = Buffer.concat([header, Buffer.from('42.7', 'latin1')]);
  const mac = createHmac('sha256', key)
    .update('lfs-depot transfer token v1\n')
    .update(payload)
    .digest()
    .subarray(0, 16);
  return `lfsx_${payload.toString('base64url')}.${mac.toString('base64url')}.${Buffer.alloc(64).toString('base64url')}`;
}

describe(TransferTokenService.name, () => {
  const tokens = new TransferTokenService(secrets);

  describe('issue', () => {
    it('returns a short token that verifies to its project, role and expiry', () => {
      const token = tokens.issue(alice, project, 'write', 3600, now);
      // Payload and MAC as before (about 45 characters), and the 86 of the Ed25519 signature the proxy checks.
      expect(token.length).toBeLessThan(140);
      expect(tokens.verify(token, now)).toEqual({
        userId: '42',
        projectId: '7',
        role: 'write',
        expiresAt: now / 1000 + 3600,
      });
    });

    it('never outlives the credential it was issued for', () => {
      const token = tokens.issue(
        { ...alice, credentialExpiresAt: now / 1000 + 10 },
        project,
        'read',
        3600,
        now,
      );
      expect(tokens.verify(token, now)?.expiresAt).toBe(now / 1000 + 10);
    });

    it('names the access token it was minted from, so its revocation can stop this one', () => {
      const token = tokens.issue({ ...alice, credentialTokenId: '9001' }, project, 'read', 3600, now);
      expect(tokens.verify(token, now)?.parentTokenId).toBe('9001');
      expect(
        tokens.verify(tokens.issue(alice, project, 'read', 3600, now), now)?.parentTokenId,
      ).toBeUndefined();
    });

    it('names the platform token that had it minted, apart from an access token of the same id', () => {
      const token = tokens.issue({ ...alice, credentialPlatformTokenId: '9001' }, project, 'read', 3600, now);
      expect(tokens.verify(token, now)).toEqual({
        userId: '42',
        projectId: '7',
        role: 'read',
        expiresAt: now / 1000 + 3600,
        parentPlatformTokenId: '9001',
      });
    });
  });

  describe('issueReusable', () => {
    it('hands out the token minted moments ago, signed once, with its own expiry', () => {
      const reusing = new TransferTokenService(secrets);
      const first = reusing.issueReusable(alice, project, 'write', 3600, now);
      const later = reusing.issueReusable(alice, project, 'write', 3600, now + 300_000);
      expect(later).toEqual(first);
      expect(first.expiresAt).toBe(now / 1000 + 3600);
    });

    it('mints a new one once a tenth of the lifetime is gone, or for another role, project or parent', () => {
      const reusing = new TransferTokenService(secrets);
      const first = reusing.issueReusable(alice, project, 'write', 3600, now);
      expect(reusing.issueReusable(alice, project, 'write', 3600, now + 361_000).token).not.toBe(first.token);
      for (const other of [
        reusing.issueReusable(alice, project, 'read', 3600, now),
        reusing.issueReusable(alice, { id: '8', path: 'team/other' }, 'write', 3600, now),
        reusing.issueReusable({ ...alice, credentialTokenId: '5' }, project, 'write', 3600, now),
        reusing.issueReusable({ ...alice, username: 'alice2' }, project, 'write', 3600, now),
      ]) {
        expect(other.token).not.toBe(first.token);
      }
    });
  });

  describe('verify', () => {
    it.each([1, 2, 3])('refuses a version %d token, which the proxy could not check', (version) => {
      expect(tokens.verify(forged(secrets.transferTokenKey, version), now)).toBeUndefined();
      expect(tokens.verify(forged(secrets.transferTokenKey), now)).toBeDefined();
    });

    it('returns undefined once expired', () => {
      const token = tokens.issue(alice, project, 'read', 60, now);
      expect(tokens.verify(token, now + 61_000)).toBeUndefined();
    });

    it('returns undefined for a token signed with another API secret', () => {
      const other = new TransferTokenService(
        new ApiSecrets('x'.repeat(20), INTERNAL_SECRET, 'another-secret-0123456789-0123456789-xyz'),
      );
      expect(tokens.verify(other.issue(alice, project, 'write', 3600, now), now)).toBeUndefined();
    });

    it('returns undefined for a token made with INTERNAL_SECRET, all that the proxy holds', () => {
      for (const key of [INTERNAL_SECRET, secrets.internal.request, secrets.internal.clientAddress]) {
        expect(tokens.verify(forged(key), now)).toBeUndefined();
      }
      // The same payload with the API's own key verifies: the key is what is refused above, not the payload.
      expect(tokens.verify(forged(secrets.transferTokenKey), now)).toEqual({
        userId: '42',
        projectId: '7',
        role: 'maintainer',
        expiresAt: now / 1000 + 3600,
      });
    });

    it('returns undefined when any byte of the payload was changed', () => {
      const token = tokens.issue(alice, project, 'read', 3600, now);
      const [payload, mac, signature] = token.slice('lfsx_'.length).split('.');
      const bytes = Buffer.from(payload ?? '', 'base64url');
      bytes[5] = 3; // read → maintainer
      expect(tokens.verify(`lfsx_${bytes.toString('base64url')}.${mac}.${signature}`, now)).toBeUndefined();
    });

    it.each([
      'lfsx_',
      'lfsx_abc',
      'lfsx_a.b',
      'lfsx_a.b.c.d',
      'lfsd_whatever',
      `lfsx_${'A'.repeat(300)}.x.y`,
    ])('returns undefined for the malformed %j', (token) => {
      expect(tokens.verify(token, now)).toBeUndefined();
    });
  });
});
