import type { IncomingMessage } from 'node:http';

/**
 * Header in which the lfs-depot proxy tells the API the client's address, signed (see signClientAddress in
 * @lfs-depot/auth): the API believes no X-Forwarded-For, which anyone reaching its port could write.
 */
export const CLIENT_ADDRESS_HEADER = 'x-lfs-depot-client';

/**
 * The client's address: the socket's peer, or, behind `trustedHops` declared load balancers, the X-Forwarded-For
 * entry they appended. Entries further left are whatever the client claimed and are never trusted. The same answer as
 * Express's `req.ip` with `trust proxy` set to `trustedHops`. The proxy computes it and signs it for the API, which
 * reads no X-Forwarded-For itself.
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
