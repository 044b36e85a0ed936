/**
 * Stable error codes. Messages are for people; codes are for code and tests. Every code maps to exactly one
 * HTTP status in the API's exception filter, through an exhaustive switch.
 */
export const ErrorCode = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  MALFORMED_JSON: 'MALFORMED_JSON',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  PROJECT_NOT_FOUND: 'PROJECT_NOT_FOUND',
  USER_NOT_FOUND: 'USER_NOT_FOUND',
  MEMBER_NOT_FOUND: 'MEMBER_NOT_FOUND',
  OBJECT_NOT_FOUND: 'OBJECT_NOT_FOUND',
  LOCK_NOT_FOUND: 'LOCK_NOT_FOUND',
  ROUTE_NOT_FOUND: 'ROUTE_NOT_FOUND',
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  LOCK_EXISTS: 'LOCK_EXISTS',
  HASH_ALGO_UNSUPPORTED: 'HASH_ALGO_UNSUPPORTED',
  NOT_ACCEPTABLE: 'NOT_ACCEPTABLE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  TOO_MANY_OBJECTS: 'TOO_MANY_OBJECTS',
  OBJECT_MISMATCH: 'OBJECT_MISMATCH',
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  RATE_LIMITED: 'RATE_LIMITED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

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

/** The JSON error body of every error response (DESIGN.md, Errors). */
export interface ErrorBody {
  message: string;
  request_id?: string;
  documentation_url?: string;
  code?: ErrorCode;
  [extra: string]: unknown;
}
