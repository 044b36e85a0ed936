/** Internal proxy <-> API messages for object transfers (signed; see @lfs-depot/auth). */

/** Paths of the API's internal endpoints, which only accept calls signed with the shared secret. */
export const INTERNAL_PATHS = {
  authorizeUpload: '/internal/uploads/authorize',
  finalizeUpload: '/internal/uploads/finalize',
  authorizeDownload: '/internal/downloads/authorize',
} as const;

/**
 * Header in which the API names the authenticated user of a request it answers (URI-encoded), for the proxy's
 * access line; the proxy removes it before the answer reaches the client.
 */
export const ACTING_USER_HEADER = 'x-lfs-depot-user';

/** Header carrying the proxy's signature on an internal call. */
export const INTERNAL_SIGNATURE_HEADER = 'x-lfs-depot-signature';

export interface TransferAuthorizeRequest {
  /** Project path as it appears in the URL (group/sub/name, without .git). */
  project: string;
  oid: string;
  size: number;
  /** The Authorization header the client sent on the transfer request, relayed verbatim. */
  authorization?: string;
  /** The client's address as the proxy determined it (throttles password guessing on transfer routes). */
  client?: string;
}

export interface UploadAuthorization {
  /** Where the proxy writes the verified bytes. */
  storageKey: string;
  /** Set when the bytes are already in storage, so the proxy only has to verify them, not rewrite them. */
  alreadyStored: boolean;
  /** Signed by the API: finalize trusts only what it issued itself. */
  ticket: string;
  /** The id of the user uploading, whose uploads in progress the proxy counts (MAX_UPLOADS_PER_USER). */
  uploader: string;
}

export interface UploadFinalizeRequest {
  ticket: string;
  oid: string;
  size: number;
}

export interface DownloadAuthorization {
  storageKey: string;
  size: number;
}
