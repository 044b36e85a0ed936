import type { IncomingMessage } from 'node:http';

/**
 * The client's address: the socket's peer, or, behind `trustedHops` declared load balancers, the X-Forwarded-For
 * entry they appended. Entries further left are whatever the client claimed and are never trusted. The same answer as
 * Express's `req.ip` with `trust proxy` set to `trustedHops` (the API, behind the proxy, trusts one hop more).
 */
export function clientAddress(req: IncomingMessage, trustedHops: number): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (trustedHops === 0) {
    return peer;
  }
  const forwarded = String(req.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return forwarded[forwarded.length - trustedHops] ?? forwarded[0] ?? peer;
}
