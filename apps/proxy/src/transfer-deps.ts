import type { Logger, TransferMetrics } from '@lfs-depot/observability';
import type { ObjectStorage } from '@lfs-depot/storage';

import type { ApiClient } from './api-client/api.client.js';

/** What the object transfer handlers need from the proxy around them. */
export interface TransferDeps {
  api: ApiClient;
  storage: ObjectStorage;
  logger: Logger;
  transfers: TransferMetrics;
  /** Load balancers in front of the proxy whose X-Forwarded-For entries are trusted (TRUSTED_PROXY_HOPS). */
  trustedProxyHops: number;
}
