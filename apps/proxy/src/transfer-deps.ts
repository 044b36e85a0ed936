import type { Logger, TransferMetrics } from '@lfs-depot/observability';
import type { ObjectStorage } from '@lfs-depot/storage';

import type { ApiClient } from './api-client/api.client.js';
import type { DownloadGrantVerifier } from './auth/download-grant-verifier.js';
import type { TransferTokenVerifier } from './auth/transfer-token-verifier.js';
import type { InFlightLimiter } from './http/in-flight-limiter.js';
import type { StorageIdentityGuard } from './storage-identity-guard.js';
import type { UploadRefusals } from './upload/upload-refusals.js';

/** What the object transfer handlers need from the proxy around them. */
export interface TransferDeps {
  api: ApiClient;
  storage: ObjectStorage;
  logger: Logger;
  transfers: TransferMetrics;
  /** Load balancers in front of the proxy whose X-Forwarded-For entries are trusted (TRUSTED_PROXY_HOPS). */
  trustedProxyHops: number;
  /** An upload's body, or a download's reader, may pause at most this long (TRANSFER_IDLE_TIMEOUT_SECONDS). */
  transferIdleMs: number;
  /** Uploads in progress per user (keyed by the authorization's uploader; MAX_UPLOADS_PER_USER). */
  uploads: InFlightLimiter;
  /** Downloads whose bytes are being sent, per user (per client address when anonymous; MAX_DOWNLOADS_PER_USER). */
  downloads: InFlightLimiter;
  /** Checks transfer tokens locally, so that their uploads need no authorize call; without it, every upload asks. */
  tokens?: TransferTokenVerifier;
  /** Finalize refusals of token uploads, whose next uploads are authorized first; without it, none are remembered. */
  refusals?: UploadRefusals;
  /** Lets downloads in on the batch's grants, with no authorize call each; without it, every download asks. */
  grants?: DownloadGrantVerifier;
  /** Refuses transfers while the proxy's STORAGE is not the API's; without it, none are refused for that. */
  storageIdentity?: StorageIdentityGuard;
  /** Told of every upload this process finalized on a transfer token (what answers the verify action locally). */
  onFinalized?: (upload: { project: string; oid: string; size: number; token: string }) => void;
}
