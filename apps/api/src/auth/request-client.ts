import type { IncomingMessage } from 'node:http';

import type { RequestHandler } from 'express';

import { ClientAddressSignatures } from '@lfs-depot/auth';
import { CLIENT_ADDRESS_HEADER } from '@lfs-depot/contracts';

import type { LfsRequest } from '../http/request-context.js';

/** Per key (each API in a process has its own), so that a value checked once is not checked again that second. */
const signaturesByKey = new WeakMap<Buffer, ClientAddressSignatures>();

/**
 * The client's address for throttling: the one the lfs-depot proxy signed (it applies TRUSTED_PROXY_HOPS to what it
 * saw), else the socket's peer. X-Forwarded-For is never read here: a client that reaches the API port directly
 * could write any address in it and get a fresh sign-in budget with each.
 */
export function requestClientAddress(req: IncomingMessage, clientAddressKey: Buffer): string {
  const header = req.headers[CLIENT_ADDRESS_HEADER];
  let signatures = signaturesByKey.get(clientAddressKey);
  if (!signatures) {
    signatures = new ClientAddressSignatures(clientAddressKey);
    signaturesByKey.set(clientAddressKey, signatures);
  }
  return (
    signatures.verify(typeof header === 'string' ? header : undefined) ??
    req.socket.remoteAddress ??
    'unknown'
  );
}

/** Sets each request's clientAddress (requestClientAddress), which audit events record. */
export function clientAddressMiddleware(clientAddressKey: Buffer): RequestHandler {
  return (req, _res, next) => {
    (req as LfsRequest).clientAddress = requestClientAddress(req, clientAddressKey);
    next();
  };
}
