import { hkdfSync } from 'node:crypto';

/**
 * What a derived key is for. Each purpose has its own key, so a MAC made for one can never pass for another, and a
 * leaked purpose key (say, the password cache's) says nothing about the others.
 */
export type KeyPurpose =
  /** INTERNAL_SECRET: signatures of the proxy's internal calls to the API. */
  | 'internal-request'
  /** INTERNAL_SECRET: the proxy's signed statement of a client's address (x-lfs-depot-client). */
  | 'client-address'
  /** API_SECRET: transfer tokens' HMAC (lfsx_…), which the API checks. */
  | 'transfer-token'
  /** API_SECRET: the seed of the Ed25519 key that signs transfer tokens for the proxy, which gets only its public half. */
  | 'transfer-signing'
  /** API_SECRET: upload tickets, which finalize believes. */
  | 'upload-ticket'
  /** API_SECRET: the keyed digests under which verified passwords are remembered. */
  | 'password-cache';

/** A 256-bit key for `purpose`, derived from `secret` with HKDF-SHA-256. */
export function deriveKey(secret: string, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'lfs-depot', `lfs-depot ${purpose} v1`, 32));
}

/** The keys made from INTERNAL_SECRET, which the proxy and the API share: they sign, and mint nothing. */
export interface InternalKeys {
  request: Buffer;
  clientAddress: Buffer;
}

/** Derives both internal keys from INTERNAL_SECRET. */
export function internalKeys(internalSecret: string): InternalKeys {
  return {
    request: deriveKey(internalSecret, 'internal-request'),
    clientAddress: deriveKey(internalSecret, 'client-address'),
  };
}
