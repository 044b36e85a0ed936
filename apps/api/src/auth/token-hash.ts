import { createHash, randomBytes } from 'node:crypto';

/** Prefix of every token we issue, so secret scanners and our own login code can tell tokens from passwords. */
export const TOKEN_PREFIX = 'lfsd_';

/** Prefix of platform tokens, which only a git host's hooks and SSH server hold. */
export const PLATFORM_TOKEN_PREFIX = 'lfsp_';

/** A fresh random token (shown to its owner once) with its stored hash. */
export function generateToken(prefix = TOKEN_PREFIX): { token: string; tokenHash: string } {
  const token = `${prefix}${randomBytes(30).toString('base64url')}`;
  return { token, tokenHash: hashToken(token) };
}

/** Tokens carry 240 random bits, so a fast hash suffices and lets the lookup use an index. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
