/**
 * The error catalogue, one row per stable code with the HTTP status it is answered with, as in fastify's errors:
 * every app (API and proxy) answers a code with this status. Messages are for people; codes are for code and tests.
 */
const ERROR_CATALOGUE = {
  MALFORMED_JSON: { status: 400 },
  /** Not an HTTP/1.1 request Node's parser accepts (two Content-Lengths, Content-Length with Transfer-Encoding, …). */
  MALFORMED_REQUEST: { status: 400 },
  UNAUTHENTICATED: { status: 401 },
  FORBIDDEN: { status: 403 },
  PROJECT_NOT_FOUND: { status: 404 },
  USER_NOT_FOUND: { status: 404 },
  MEMBER_NOT_FOUND: { status: 404 },
  OBJECT_NOT_FOUND: { status: 404 },
  LOCK_NOT_FOUND: { status: 404 },
  /** An access or platform token id that names none (of that user). */
  TOKEN_NOT_FOUND: { status: 404 },
  JOB_NOT_FOUND: { status: 404 },
  ROUTE_NOT_FOUND: { status: 404 },
  NOT_ACCEPTABLE: { status: 406 },
  /** The client stopped sending its request body (idle or below the minimum rate, see the proxy's timeouts). */
  REQUEST_TIMEOUT: { status: 408 },
  ALREADY_EXISTS: { status: 409 },
  /** The job a request was running (an import) was cancelled through the jobs API. */
  JOB_CANCELLED: { status: 409 },
  LOCK_EXISTS: { status: 409 },
  HASH_ALGO_UNSUPPORTED: { status: 409 },
  PAYLOAD_TOO_LARGE: { status: 413 },
  TOO_MANY_OBJECTS: { status: 413 },
  UNSUPPORTED_MEDIA_TYPE: { status: 415 },
  /** An Expect header other than 100-continue (RFC 9110 §10.1.1). */
  EXPECTATION_FAILED: { status: 417 },
  VALIDATION_FAILED: { status: 422 },
  OBJECT_MISMATCH: { status: 422 },
  /** The project holds MAX_LOCKS_PER_PROJECT locks already. */
  TOO_MANY_LOCKS: { status: 422 },
  RATE_LIMITED: { status: 429 },
  /** The user already has MAX_UPLOADS_PER_USER uploads in progress on this proxy. */
  TOO_MANY_UPLOADS: { status: 429 },
  /** The user (or, when anonymous, the client address) already has MAX_DOWNLOADS_PER_USER downloads in progress. */
  TOO_MANY_DOWNLOADS: { status: 429 },
  /** The request line and headers together are larger than the server reads (Node's maxHeaderSize). */
  HEADERS_TOO_LARGE: { status: 431 },
  INTERNAL: { status: 500 },
  SERVICE_UNAVAILABLE: { status: 503 },
  /** Object storage failed, timed out (S3_REQUEST_TIMEOUT_SECONDS) or refused the connection; nothing was stored. */
  STORAGE_UNAVAILABLE: { status: 503 },
  /** The proxy's STORAGE is not the API's: its marker names another storage id (README "One storage, one database"). */
  STORAGE_MISMATCH: { status: 503 },
  QUOTA_EXCEEDED: { status: 507 },
  /** Object storage is full (ENOSPC, EDQUOT): the Git LFS API's 507 for insufficient server storage. */
  INSUFFICIENT_STORAGE: { status: 507 },
  /** API_URL leads back to a proxy (RFC 5842's Loop Detected). */
  FORWARDING_LOOP: { status: 508 },
} as const satisfies Record<string, { status: number }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** The codes by name (`ErrorCode.LOCK_EXISTS`), for code that names one. */
export const ErrorCode = Object.freeze(
  Object.fromEntries(Object.keys(ERROR_CATALOGUE).map((code) => [code, code])),
) as { readonly [code in ErrorCode]: code };

/** Every code, in catalogue order. */
export const ERROR_CODES = Object.freeze(Object.keys(ERROR_CATALOGUE)) as readonly ErrorCode[];

/** The HTTP status every app answers this code with. */
export function statusForErrorCode(code: ErrorCode): number {
  return ERROR_CATALOGUE[code].status;
}

/**
 * The code for a bare HTTP status raised by a framework or body parser rather than by our code. Statuses that are
 * not in the catalogue fall back to INTERNAL (5xx) or VALIDATION_FAILED (4xx).
 */
export function errorCodeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return ErrorCode.MALFORMED_JSON;
    case 401:
      return ErrorCode.UNAUTHENTICATED;
    case 403:
      return ErrorCode.FORBIDDEN;
    case 404:
      return ErrorCode.ROUTE_NOT_FOUND;
    case 406:
      return ErrorCode.NOT_ACCEPTABLE;
    case 408:
      return ErrorCode.REQUEST_TIMEOUT;
    case 413:
      return ErrorCode.PAYLOAD_TOO_LARGE;
    case 415:
      return ErrorCode.UNSUPPORTED_MEDIA_TYPE;
    case 422:
      return ErrorCode.VALIDATION_FAILED;
    case 429:
      return ErrorCode.RATE_LIMITED;
    case 503:
      return ErrorCode.SERVICE_UNAVAILABLE;
    case 507:
      return ErrorCode.QUOTA_EXCEEDED;
    default:
      return status >= 500 ? ErrorCode.INTERNAL : ErrorCode.VALIDATION_FAILED;
  }
}

/** A failure a service reports without knowing about HTTP; the API's filter turns it into a status and body. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra fields merged into the JSON error body (e.g. the existing lock on LOCK_EXISTS). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** The JSON error body of every error response (README, HTTP API). */
export interface ErrorBody {
  message: string;
  request_id?: string;
  documentation_url?: string;
  code?: ErrorCode;
  [extra: string]: unknown;
}
