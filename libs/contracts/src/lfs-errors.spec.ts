import { describe, expect, it } from '@jest/globals';

import { ERROR_CODES, ErrorCode, errorCodeForStatus, statusForErrorCode } from './lfs-errors.js';

describe('error catalogue', () => {
  it('names every code by itself', () => {
    expect(Object.keys(ErrorCode)).toEqual(ERROR_CODES);
    for (const code of ERROR_CODES) {
      expect(ErrorCode[code]).toBe(code);
    }
  });

  describe(statusForErrorCode.name, () => {
    it.each(ERROR_CODES.map((code) => [code]))('gives %s an HTTP error status', (code) => {
      const status = statusForErrorCode(code);
      expect(Number.isInteger(status)).toBe(true);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    });

    it.each([
      [ErrorCode.MALFORMED_JSON, 400],
      [ErrorCode.UNAUTHENTICATED, 401],
      [ErrorCode.FORBIDDEN, 403],
      [ErrorCode.OBJECT_NOT_FOUND, 404],
      [ErrorCode.NOT_ACCEPTABLE, 406],
      [ErrorCode.REQUEST_TIMEOUT, 408],
      [ErrorCode.LOCK_EXISTS, 409],
      [ErrorCode.TOO_MANY_OBJECTS, 413],
      [ErrorCode.UNSUPPORTED_MEDIA_TYPE, 415],
      [ErrorCode.OBJECT_MISMATCH, 422],
      [ErrorCode.VALIDATION_FAILED, 422],
      [ErrorCode.RATE_LIMITED, 429],
      [ErrorCode.TOO_MANY_UPLOADS, 429],
      [ErrorCode.TOO_MANY_DOWNLOADS, 429],
      [ErrorCode.INTERNAL, 500],
      [ErrorCode.SERVICE_UNAVAILABLE, 503],
      [ErrorCode.QUOTA_EXCEEDED, 507],
    ])('answers %s with %d, as the README error table says', (code, status) => {
      expect(statusForErrorCode(code)).toBe(status);
    });
  });

  describe(errorCodeForStatus.name, () => {
    it.each([400, 401, 403, 404, 406, 408, 413, 415, 422, 429, 503, 507])(
      'maps a bare %d to a code answered with that same status',
      (status) => {
        expect(statusForErrorCode(errorCodeForStatus(status))).toBe(status);
      },
    );

    it('maps statuses the catalogue lacks to INTERNAL (5xx) or VALIDATION_FAILED (4xx)', () => {
      expect(errorCodeForStatus(502)).toBe(ErrorCode.INTERNAL);
      expect(errorCodeForStatus(405)).toBe(ErrorCode.VALIDATION_FAILED);
    });
  });
});
