import type { InternalKeys } from '@lfs-depot/auth';
import { deriveKey, internalKeys } from '@lfs-depot/auth';

/**
 * Secrets resolved at startup (from the environment, or generated into DATA_DIR on first start) and the keys derived
 * from them. Two secrets, so that the public proxy can be given one without being able to mint credentials:
 * INTERNAL_SECRET, which the proxy shares, only signs internal calls and client addresses; API_SECRET, which only the
 * API holds, keys everything that grants access.
 */
export class ApiSecrets {
  /** From INTERNAL_SECRET: the proxy's call signatures and its signed client addresses. */
  readonly internal: InternalKeys;
  /** From API_SECRET: transfer tokens (lfsx_…). */
  readonly transferTokenKey: Buffer;
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
    this.uploadTicketKey = deriveKey(apiSecret, 'upload-ticket');
    this.passwordCacheKey = deriveKey(apiSecret, 'password-cache');
  }
}
