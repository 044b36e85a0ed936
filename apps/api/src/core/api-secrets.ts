import type { KeyObject } from 'node:crypto';

import type { InternalKeys } from '@lfs-depot/auth';
import { deriveKey, internalKeys, transferSigningKeys } from '@lfs-depot/auth';

/**
 * Secrets resolved at startup (from the environment, or generated into DATA_DIR on first start) and the keys derived
 * from them. Two secrets, so that the public proxy can be given one without being able to mint credentials:
 * INTERNAL_SECRET, which the proxy shares, only signs internal calls and client addresses; API_SECRET, which only the
 * API holds, keys everything that grants access.
 */
export class ApiSecrets {
  /** From INTERNAL_SECRET: the proxy's call signatures and its signed client addresses. */
  readonly internal: InternalKeys;
  /** From API_SECRET: transfer tokens' HMAC (lfsx_…), which the API checks. */
  readonly transferTokenKey: Buffer;
  /** From API_SECRET: the Ed25519 key that signs transfer tokens for the proxy. */
  readonly transferSigningKey: KeyObject;
  /** Its public half (raw 32 bytes), all the proxy learns: it verifies transfer tokens and can make none. */
  readonly transferPublicKey: Buffer;
  /** From API_SECRET: upload tickets, which finalize believes. */
  readonly uploadTicketKey: Buffer;
  /** From API_SECRET: the digests under which verified passwords are remembered in the shared cache. */
  readonly passwordCacheKey: Buffer;

  constructor(
    /** Bootstrap admin bearer token (LFS_ADMIN_TOKEN or DATA_DIR/admin-token). */
    readonly adminToken: string,
    /** INTERNAL_SECRET or DATA_DIR/internal-secret, shared with the proxy. */
    internalSecret: string,
    /** API_SECRET or DATA_DIR/api-secret, which the proxy never receives. */
    apiSecret: string,
    /** Bearer token of GET /metrics (METRICS_TOKEN or DATA_DIR/metrics-token); unset, only the admin token reads them. */
    readonly metricsToken?: string,
  ) {
    this.internal = internalKeys(internalSecret);
    this.transferTokenKey = deriveKey(apiSecret, 'transfer-token');
    const signing = transferSigningKeys(deriveKey(apiSecret, 'transfer-signing'));
    this.transferSigningKey = signing.privateKey;
    this.transferPublicKey = signing.publicKey;
    this.uploadTicketKey = deriveKey(apiSecret, 'upload-ticket');
    this.passwordCacheKey = deriveKey(apiSecret, 'password-cache');
  }
}
