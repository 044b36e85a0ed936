import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import { BoundedQueue } from './bounded-queue.js';

/**
 * scrypt cost as OWASP's password storage cheat sheet recommends (N=2^17, r=8, p=1): 128 MiB per hash, and the time
 * bench/README.md gives. Hashes say which costs made them, so those made with earlier ones still verify.
 */
export const SCRYPT_COST = { N: 2 ** 17, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
/** Stored costs beyond these are no hash of ours; refusing them keeps a bad row from asking for gigabytes. */
const MAX_N = 2 ** 20;
const MAX_R = 16;
const MAX_P = 4;

/**
 * Every scrypt runs on libuv's small thread pool (shared with file and DNS work) and holds 128 MiB while it does:
 * two at a time at most, a short line behind them, and sign-ins beyond that are refused at once (429) rather than
 * left to pile up, so a flood of bogus sign-ins can neither saturate the pool nor the memory.
 */
export const scryptQueue = new BoundedQueue(2, 32);

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Node's default maxmem (32 MiB) is below what N=2^17, r=8 needs (128 * N * r bytes, plus a little).
    scrypt(password, salt, KEY_LENGTH, { N: n, r, p, maxmem: 2 * 128 * n * r * p }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Hashes a password as `scrypt$N$r$p$salt$hash` (base64url), self-describing so costs can rise later. */
export async function hashPassword(password: string): Promise<string> {
  const { N, r, p } = SCRYPT_COST;
  const salt = randomBytes(16);
  // Admin calls wait their turn instead of being refused: they are authenticated, but must not exceed the memory.
  const key = await scryptQueue.run(() => derive(password, salt, N, r, p));
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Whether `encoded` was made with other costs than SCRYPT_COST, so that a sign-in should store a new hash. */
export function needsRehash(encoded: string): boolean {
  const [scheme, n, r, p] = encoded.split('$');
  return (
    scheme !== 'scrypt' ||
    Number(n) !== SCRYPT_COST.N ||
    Number(r) !== SCRYPT_COST.r ||
    Number(p) !== SCRYPT_COST.p
  );
}

/**
 * Returns whether `password` matches `encoded` (made with any costs up to the limits), comparing in constant time.
 * Throws RATE_LIMITED when too many checks are already running or waiting.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const [scheme, nText, rText, pText, salt, hash] = encoded.split('$');
  const [n, r, p] = [Number(nText), Number(rText), Number(pText)];
  if (
    scheme !== 'scrypt' ||
    !salt ||
    !hash ||
    ![n, r, p].every(Number.isSafeInteger) ||
    n < 2 ||
    n > MAX_N ||
    (n & (n - 1)) !== 0 ||
    r < 1 ||
    r > MAX_R ||
    p < 1 ||
    p > MAX_P
  ) {
    return false;
  }
  const expected = Buffer.from(hash, 'base64url');
  const derived = scryptQueue.tryRun(() => derive(password, Buffer.from(salt, 'base64url'), n, r, p));
  if (!derived) {
    throw new DomainError(
      ErrorCode.RATE_LIMITED,
      'Too many sign-ins are being checked right now; try again in a second',
      { retry_after_seconds: 1 },
    );
  }
  const actual = await derived;
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
