import { describe, expect, it } from '@jest/globals';

import {
  ADMIN_AUTHENTICATE_CHALLENGE,
  apiUnreachableMessage,
  DOCUMENTATION_URL,
  errorAnswer,
  LFS_AUTHENTICATE_CHALLENGE,
} from './error-answer.js';
import { ERROR_CODES, ErrorCode, statusForErrorCode } from './lfs-errors.js';
import { LFS_MEDIA_TYPE } from './media-types.js';

describe(errorAnswer.name, () => {
  it.each(ERROR_CODES.map((code) => [code]))('answers %s with its catalogue status', (code) => {
    expect(errorAnswer({ code, message: 'm', lfs: true }).status).toBe(statusForErrorCode(code));
    expect(errorAnswer({ code, message: 'm', lfs: false }).status).toBe(statusForErrorCode(code));
  });

  it('writes the Git LFS media type and documentation_url on LFS routes', () => {
    expect(
      errorAnswer({ code: ErrorCode.OBJECT_NOT_FOUND, message: 'gone', requestId: 'req-12345', lfs: true }),
    ).toEqual({
      status: 404,
      headers: { 'Content-Type': `${LFS_MEDIA_TYPE}; charset=utf-8` },
      body: {
        message: 'gone',
        code: 'OBJECT_NOT_FOUND',
        request_id: 'req-12345',
        documentation_url: DOCUMENTATION_URL,
      },
    });
  });

  it('writes plain JSON without documentation_url elsewhere', () => {
    expect(errorAnswer({ code: ErrorCode.USER_NOT_FOUND, message: 'who', lfs: false })).toEqual({
      status: 404,
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: { message: 'who', code: 'USER_NOT_FOUND', request_id: undefined },
    });
  });

  it('challenges a 401 with Basic on LFS routes and Bearer elsewhere', () => {
    expect(errorAnswer({ code: ErrorCode.UNAUTHENTICATED, message: 'm', lfs: true }).headers).toMatchObject({
      'LFS-Authenticate': LFS_AUTHENTICATE_CHALLENGE,
      'WWW-Authenticate': LFS_AUTHENTICATE_CHALLENGE,
    });
    const admin = errorAnswer({ code: ErrorCode.UNAUTHENTICATED, message: 'm', lfs: false }).headers;
    expect(admin['WWW-Authenticate']).toBe(ADMIN_AUTHENTICATE_CHALLENGE);
    expect(admin['LFS-Authenticate']).toBeUndefined();
  });

  it('says when to retry a 429, from retry_after_seconds or one second', () => {
    const given = errorAnswer({
      code: ErrorCode.RATE_LIMITED,
      message: 'm',
      lfs: false,
      details: { retry_after_seconds: 42 },
    });
    expect(given.headers['Retry-After']).toBe('42');
    expect(given.body.retry_after_seconds).toBe(42);
    expect(
      errorAnswer({ code: ErrorCode.RATE_LIMITED, message: 'm', lfs: false }).headers['Retry-After'],
    ).toBe('1');
  });

  it('keeps the message and code over details of the same name', () => {
    const { body } = errorAnswer({
      code: ErrorCode.LOCK_EXISTS,
      message: 'taken',
      lfs: true,
      details: { message: 'other', code: 'OTHER', lock: { id: '1' } },
    });
    expect(body).toMatchObject({ message: 'taken', code: 'LOCK_EXISTS', lock: { id: '1' } });
  });

  it('takes a framework status for errors the catalogue did not decide', () => {
    expect(
      errorAnswer({ code: ErrorCode.VALIDATION_FAILED, message: 'm', lfs: false, status: 405 }).status,
    ).toBe(405);
  });
});

describe(apiUnreachableMessage.name, () => {
  it('names the reason', () => {
    expect(apiUnreachableMessage('ECONNREFUSED')).toBe(
      'The lfs-depot API is not reachable (ECONNREFUSED); try again shortly',
    );
  });
});
