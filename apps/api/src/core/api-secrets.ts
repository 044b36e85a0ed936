/** Secrets resolved at startup: from the environment, or generated into DATA_DIR on first start. */
export class ApiSecrets {
  constructor(
    /** Bootstrap admin bearer token (LFS_ADMIN_TOKEN or DATA_DIR/admin-token). */
    readonly adminToken: string,
    /** Shared with the proxy to sign internal calls; also keys HMACs of cached credentials. */
    readonly internalSecret: string,
  ) {}
}
