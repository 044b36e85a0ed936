import { randomBytes, scryptSync } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import { hashPassword, needsRehash, SCRYPT_COST, scryptQueue, verifyPassword } from './password-hasher.js';

/** A hash as the earlier code made them: N=2^15, r=8, p=1. */
function legacyHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 128 * 2 ** 15 * 8 * 2 });
  return ['scrypt', 2 ** 15, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
}

describe('password hasher', () => {
  describe(hashPassword.name, () => {
    it('returns a hash made with the OWASP scrypt costs that verifies the password and no other', async () => {
      const encoded = await hashPassword('correct horse');

      expect(encoded.split('$').slice(0, 4)).toEqual(['scrypt', '131072', '8', '1']);
      expect(SCRYPT_COST).toEqual({ N: 2 ** 17, r: 8, p: 1 });
      expect(await verifyPassword('correct horse', encoded)).toBe(true);
      expect(await verifyPassword('correct horsE', encoded)).toBe(false);
    });
  });

  describe(needsRehash.name, () => {
    it('returns true for a hash made with the earlier costs and false for one made with the current ones', async () => {
      expect(needsRehash(legacyHash('old password'))).toBe(true);
      expect(needsRehash(await hashPassword('new password'))).toBe(false);
    });
  });

  describe(verifyPassword.name, () => {
    it('returns true for a hash made with the earlier costs', async () => {
      const encoded = legacyHash('old password');

      expect(await verifyPassword('old password', encoded)).toBe(true);
      expect(await verifyPassword('new password', encoded)).toBe(false);
    });

    it.each([
      'bcrypt$10$x$y$z$w',
      'scrypt$131072$8$1$c2FsdA',
      'scrypt$100000$8$1$c2FsdA$aGFzaA',
      `scrypt$${2 ** 24}$8$1$c2FsdA$aGFzaA`,
      'scrypt$16384$64$1$c2FsdA$aGFzaA',
      'scrypt$16384$8$0$c2FsdA$aGFzaA',
    ])('returns false for %s without deriving anything', async (encoded) => {
      expect(await verifyPassword('whatever', encoded)).toBe(false);
    });

    it('rejects with RATE_LIMITED, at once, when the checks running and waiting fill the queue', async () => {
      const encoded = legacyHash('busy');
      const capacity = scryptQueue.concurrency + scryptQueue.maxWaiting;
      const accepted = Array.from({ length: capacity }, () => verifyPassword('busy', encoded));

      const refused = await verifyPassword('busy', encoded).catch((error: unknown) => error);

      expect(refused).toBeInstanceOf(DomainError);
      expect(refused).toMatchObject({ code: ErrorCode.RATE_LIMITED, details: { retry_after_seconds: 1 } });
      expect(await Promise.all(accepted)).toEqual(Array.from({ length: capacity }, () => true));
    });
  });
});
