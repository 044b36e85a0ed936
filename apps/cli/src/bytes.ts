import { formatBytes } from '@lfs-depot/contracts';

const SUFFIX_POWER: Readonly<Record<string, number>> = { '': 0, K: 1, M: 2, G: 3, T: 4, P: 5 };

/**
 * Parses a byte count such as `1024`, `500M`, `10G` or `1.5T` (K, M, G, T, P are powers of 1024; an optional
 * trailing `B` or `iB` is accepted). Throws an Error saying what is wrong.
 */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(?:([KMGTP])(?:i?B)?|B)?$/i.exec(text.trim());
  if (match === null) {
    throw new Error(
      `'${text}' is not a size; use a number of bytes or a suffix K, M, G or T (e.g. 500M, 10G)`,
    );
  }
  const amount = Number(match[1]);
  const power = SUFFIX_POWER[(match[2] ?? '').toUpperCase()] ?? 0;
  // A fractional size such as 1.3G is fine; the fraction of a byte it leaves is not.
  const bytes = Math.floor(amount * 1024 ** power);
  if (!Number.isSafeInteger(bytes)) {
    throw new Error(`'${text}' is too large`);
  }
  return bytes;
}

/** `10 GiB (10737418240 bytes)`, or just `512 bytes` when the two would say the same. */
export function describeBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : `${formatBytes(bytes)} (${bytes} bytes)`;
}
