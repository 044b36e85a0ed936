import { randomUUID } from 'node:crypto';

/** A request id we accept from a caller (the proxy, a load balancer) instead of making our own. */
export const REQUEST_ID_PATTERN = /^[\w.-]{8,64}$/;

/** The id of a request: the X-Request-Id it came with when that is sane, else a new one. */
export function requestIdFrom(given: string | string[] | undefined): string {
  return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
}
