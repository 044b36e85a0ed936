import { ErrorCode } from '@lfs-depot/contracts';

/** The HTTP status of each domain error code. Exhaustive: adding a code without a status fails to compile. */
export function statusForErrorCode(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.MALFORMED_JSON:
      return 400;
    case ErrorCode.UNAUTHENTICATED:
      return 401;
    case ErrorCode.FORBIDDEN:
      return 403;
    case ErrorCode.PROJECT_NOT_FOUND:
    case ErrorCode.USER_NOT_FOUND:
    case ErrorCode.MEMBER_NOT_FOUND:
    case ErrorCode.OBJECT_NOT_FOUND:
    case ErrorCode.LOCK_NOT_FOUND:
    case ErrorCode.ROUTE_NOT_FOUND:
      return 404;
    case ErrorCode.NOT_ACCEPTABLE:
      return 406;
    case ErrorCode.ALREADY_EXISTS:
    case ErrorCode.LOCK_EXISTS:
    case ErrorCode.HASH_ALGO_UNSUPPORTED:
      return 409;
    case ErrorCode.PAYLOAD_TOO_LARGE:
    case ErrorCode.TOO_MANY_OBJECTS:
      return 413;
    case ErrorCode.UNSUPPORTED_MEDIA_TYPE:
      return 415;
    case ErrorCode.VALIDATION_FAILED:
    case ErrorCode.OBJECT_MISMATCH:
      return 422;
    case ErrorCode.RATE_LIMITED:
      return 429;
    case ErrorCode.INTERNAL:
      return 500;
    case ErrorCode.SERVICE_UNAVAILABLE:
      return 503;
    case ErrorCode.QUOTA_EXCEEDED:
      return 507;
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}

/** The domain code for a bare HTTP status raised by the framework or body parser. */
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
    default:
      return status >= 500 ? ErrorCode.INTERNAL : ErrorCode.VALIDATION_FAILED;
  }
}
