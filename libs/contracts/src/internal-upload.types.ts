/** Internal proxy <-> API messages for object transfers (signed; see @lfs-depot/auth). */

/** Paths of the API's internal endpoints, which only accept calls signed with the shared secret. */
export const INTERNAL_PATHS = {
  authorizeUpload: '/internal/uploads/authorize',
  finalizeUpload: '/internal/uploads/finalize',
  authorizeDownload: '/internal/downloads/authorize',
  checkDownloads: '/internal/downloads/check',
  transferKey: '/internal/transfer-tokens/key',
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
  /**
   * Downloads only: the DOWNLOAD_GRANT_HEADER value of the GET, relayed verbatim. A grant that proves the object is
   * the credential the download is made with, whatever Authorization says.
   */
  grant?: string;
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

/**
 * Finalize of an upload: either one the API authorized (its ticket), or one the proxy let in on a transfer token's
 * signature alone (the client's credentials, which the API checks again in full before it links anything).
 */
export type UploadFinalizeRequest =
  | {
      ticket: string;
      oid: string;
      size: number;
      /** Project path as it appears in the URL, for the API's access line only: the ticket says where to link. */
      project?: string;
    }
  | {
      /** Project path as it appears in the URL. */
      project: string;
      oid: string;
      size: number;
      /** The Authorization header of the PUT, relayed verbatim. */
      authorization: string;
      /** When the proxy let the upload in (ms since the epoch): the token's expiry is judged as of then. */
      started_at: number;
    };

/**
 * What the proxy learns from the API to check transfer tokens itself (INTERNAL_PATHS.transferKey): a public key only,
 * with which it can verify tokens and make none.
 */
export interface TransferKeyAnswer {
  /** The raw 32-byte Ed25519 public key, base64url. */
  public_key: string;
  /** MAX_OBJECT_SIZE: larger uploads still go through authorize, which refuses them with the API's message. */
  max_object_size: number;
  /**
   * The storage id STORAGE's marker and the API's database share: the proxy refuses transfers when its own STORAGE's
   * marker names another. Absent from older APIs (and test runtimes that skip the check).
   */
  storage_id?: string;
}

export interface DownloadAuthorization {
  storageKey: string;
  size: number;
}

/**
 * Header of a batch download action carrying its download grant (see @lfs-depot/auth download-grant): the proof,
 * signed by the API, that the project linked the object when the batch was answered, and the reader's credential
 * (the action carries no Authorization beside it).
 */
export const DOWNLOAD_GRANT_HEADER = 'X-Lfs-Depot-Grant';

/**
 * The proxy's periodic re-check of the credential it serves downloads on with grants (INTERNAL_PATHS.checkDownloads):
 * the API checks the grant and the credential it carries in full for read access, as it would for one download.
 */
export interface DownloadCheckRequest {
  /** Project path as it appears in the URL. */
  project: string;
  /** The oid of the GET whose grant is sent: the grant's path starts from it. */
  oid: string;
  /** The DOWNLOAD_GRANT_HEADER value of the GET, relayed verbatim. */
  grant: string;
  client?: string;
}

export interface DownloadCheckAnswer {
  /**
   * Since when (ms since the epoch) this API may have seen a project stop linking an object, or an object marked
   * damaged: grants issued at or before it prove nothing any more, and their downloads are authorized one by one.
   */
  links_changed_at: number;
}
