import { describe, expect, it } from '@jest/globals';

import { isRetryable, withRetries } from './s3-retries.js';

/** An error shaped as the SDK's service exceptions are. */
function serviceError(status: number, name = 'ServiceError'): Error {
  return Object.assign(new Error(`${status} ${name}`), { name, $metadata: { httpStatusCode: status } });
}

/** A request that fails with `errors` in turn, then answers 'stored'; counts its attempts. */
function failingThenAnswering(errors: Error[]) {
  let attempts = 0;
  return {
    send: () => {
      attempts += 1;
      const error = errors[attempts - 1];
      return error ? Promise.reject(error) : Promise.resolve('stored');
    },
    get attempts() {
      return attempts;
    },
  };
}

describe('withRetries', () => {
  it('sends again after a server error or throttling, and returns the answer', async () => {
    const request = failingThenAnswering([serviceError(503, 'SlowDown'), serviceError(500)]);
    await expect(withRetries(new AbortController().signal, request.send, { baseDelayMs: 1 })).resolves.toBe(
      'stored',
    );
    expect(request.attempts).toBe(3);
  });

  it('rejects with the last error after three attempts', async () => {
    const request = failingThenAnswering([serviceError(500), serviceError(502), serviceError(503)]);
    await expect(withRetries(new AbortController().signal, request.send, { baseDelayMs: 1 })).rejects.toThrow(
      '503 ServiceError',
    );
    expect(request.attempts).toBe(3);
  });

  it('rejects at once on an error that would repeat (4xx)', async () => {
    const request = failingThenAnswering([serviceError(403, 'AccessDenied')]);
    await expect(withRetries(new AbortController().signal, request.send, { baseDelayMs: 1 })).rejects.toThrow(
      '403 AccessDenied',
    );
    expect(request.attempts).toBe(1);
  });

  it('does not send again once the signal has aborted', async () => {
    const controller = new AbortController();
    const request = failingThenAnswering([serviceError(500)]);
    const send = (): Promise<string> => {
      controller.abort();
      return request.send();
    };
    await expect(withRetries(controller.signal, send, { baseDelayMs: 1 })).rejects.toThrow(
      '500 ServiceError',
    );
    expect(request.attempts).toBe(1);
  });
});

describe('isRetryable', () => {
  it('retries server errors, throttling, dropped connections and errors the SDK marks retryable', () => {
    expect(isRetryable(serviceError(500))).toBe(true);
    expect(isRetryable(serviceError(503, 'SlowDown'))).toBe(true);
    expect(isRetryable(serviceError(429))).toBe(true);
    expect(isRetryable(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('throttled'), { $retryable: { throttling: true } }))).toBe(
      true,
    );
  });

  it('does not retry client errors, aborts or anything unknown', () => {
    expect(isRetryable(serviceError(400, 'InvalidPart'))).toBe(false);
    expect(isRetryable(serviceError(404, 'NoSuchUpload'))).toBe(false);
    expect(isRetryable(Object.assign(new Error('aborted'), { name: 'AbortError', code: 'ECONNRESET' }))).toBe(
      false,
    );
    expect(isRetryable(new Error('something else'))).toBe(false);
    expect(isRetryable('a string')).toBe(false);
  });
});
