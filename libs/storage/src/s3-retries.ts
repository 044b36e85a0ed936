import { setTimeout as sleep } from 'node:timers/promises';

/** Attempts of one S3 request whose body the SDK cannot replay (the SDK's default is 3 as well). */
export const S3_REQUEST_ATTEMPTS = 3;

/**
 * Runs `send` up to S3_REQUEST_ATTEMPTS times while it fails in a way worth retrying (see isRetryable), waiting a
 * little longer each time, unless `signal` aborts. The SDK retries requests itself except those with a stream body,
 * which it cannot send twice; `send` builds a fresh body each time, so these can.
 */
export async function withRetries<T>(
  signal: AbortSignal,
  send: () => Promise<T>,
  options: { attempts?: number; baseDelayMs?: number } = {},
): Promise<T> {
  const attempts = options.attempts ?? S3_REQUEST_ATTEMPTS;
  const baseDelayMs = options.baseDelayMs ?? 100;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await send();
    } catch (error) {
      if (attempt >= attempts || signal.aborted || !isRetryable(error)) {
        throw error;
      }
      // Full jitter, as the SDK's standard strategy does, so that parts failing together do not retry together.
      await sleep(Math.random() * baseDelayMs * 2 ** (attempt - 1), undefined, { signal });
    }
  }
}

const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

/**
 * A throttling answer, a server error or a dropped connection: what S3 documents as retryable (500, 503 SlowDown),
 * plus the SDK's own retryable marker. A 4xx (bad credentials, a missing upload) fails the same way again.
 */
export function isRetryable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) {
    return false;
  }
  const { $retryable, $metadata, code, name } = error as {
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
    code?: unknown;
    name?: unknown;
  };
  if (name === 'AbortError') {
    return false;
  }
  if ($retryable) {
    return true;
  }
  const status = $metadata?.httpStatusCode;
  if (status !== undefined) {
    return status === 429 || status >= 500;
  }
  return typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code);
}
