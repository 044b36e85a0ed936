import { createHash } from 'node:crypto';

/** A well-formed oid derived from `seed`: the same seed gives the same oid, different seeds different ones. */
export function oidOf(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}
