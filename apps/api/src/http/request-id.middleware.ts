import type { IncomingMessage, ServerResponse } from 'node:http';

import type { RequestHandler } from 'express';
import { requestIdFrom } from '@lfs-depot/contracts';

import type { LfsRequest } from './request-context.js';

/**
 * The request's id (the proxy's, when it sent a sane one), set as the answer's X-Request-Id; decided once, when the
 * request arrives, so that the access line, the error body and every other line name the same one.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const known = (req as { requestId?: string }).requestId;
  if (known !== undefined) {
    return known;
  }
  const requestId = requestIdFrom(req.headers['x-request-id']);
  (req as { requestId?: string }).requestId = requestId;
  res.setHeader('X-Request-Id', requestId);
  return requestId;
}

/** Gives every request an id echoed in X-Request-Id and error bodies. */
export const requestIdMiddleware: RequestHandler = (req, res, next) => {
  (req as LfsRequest).requestId = assignRequestId(req, res);
  next();
};
