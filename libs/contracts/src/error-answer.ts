import type { ErrorBody, ErrorCode } from './lfs-errors.js';
import { statusForErrorCode } from './lfs-errors.js';
import { LFS_MEDIA_TYPE } from './media-types.js';

/** The challenge of a 401 on LFS routes (LFS-Authenticate and WWW-Authenticate; git-lfs docs/api/authentication.md). */
export const LFS_AUTHENTICATE_CHALLENGE = 'Basic realm="lfs-depot", charset="UTF-8"';

/** The challenge of a 401 on the admin API and every other non-LFS route. */
export const ADMIN_AUTHENTICATE_CHALLENGE = 'Bearer realm="lfs-depot"';

/** Where an LFS client's user reads what an error means; sent in every error body on LFS routes. */
export const DOCUMENTATION_URL = 'https://github.com/git-lfs/git-lfs/tree/main/docs/api';

export interface ErrorAnswerInput {
  code: ErrorCode;
  message: string;
  requestId?: string;
  /** Whether the request was on an LFS route: the Git LFS media type, documentation_url and a Basic challenge. */
  lfs: boolean;
  /** Extra body fields (the existing lock on LOCK_EXISTS, retry_after_seconds on RATE_LIMITED, ...). */
  details?: Record<string, unknown>;
  /** A framework's own status, for errors our code did not raise; otherwise the code's status from the catalogue. */
  status?: number;
}

/** An error response decided but not written: every writer (API, batch fast path, proxy) sends exactly this. */
export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
}

/** The status, headers and JSON body of an error response, the same from every app for the same code. */
export function errorAnswer(input: ErrorAnswerInput): ErrorAnswer {
  const status = input.status ?? statusForErrorCode(input.code);
  const body: ErrorBody = {
    ...input.details,
    message: input.message,
    code: input.code,
    request_id: input.requestId,
  };
  if (input.lfs) {
    body.documentation_url = DOCUMENTATION_URL;
  }
  const headers: Record<string, string> = {
    'Content-Type': `${input.lfs ? LFS_MEDIA_TYPE : 'application/json'}; charset=utf-8`,
  };
  if (status === 401) {
    if (input.lfs) {
      headers['LFS-Authenticate'] = LFS_AUTHENTICATE_CHALLENGE;
      headers['WWW-Authenticate'] = LFS_AUTHENTICATE_CHALLENGE;
    } else {
      headers['WWW-Authenticate'] = ADMIN_AUTHENTICATE_CHALLENGE;
    }
  }
  const retryAfter = input.details?.retry_after_seconds;
  if (status === 429) {
    headers['Retry-After'] = String(typeof retryAfter === 'number' ? retryAfter : 1);
  } else if (status === 503 && typeof retryAfter === 'number') {
    headers['Retry-After'] = String(retryAfter);
  }
  return { status, headers, body };
}

/**
 * The Retry-After of the proxy's own 503 when it cannot reach the API: long enough for a restarting API to be
 * listening again, short enough that git-lfs's retries (which honour it) lose little time.
 */
export const API_UNREACHABLE_RETRY_AFTER_SECONDS = 2;

/**
 * The Retry-After of STORAGE_UNAVAILABLE: storage that timed out or refused may be back soon, and git-lfs retries
 * (honouring it) rather than failing the push or fetch.
 */
export const STORAGE_UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** What a client is told when the proxy cannot reach the API (answered as SERVICE_UNAVAILABLE). */
export function apiUnreachableMessage(reason: string): string {
  return `The lfs-depot API is not reachable (${reason}); try again shortly`;
}
