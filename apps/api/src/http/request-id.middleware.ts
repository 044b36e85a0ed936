import { randomUUID } from 'node:crypto';

import type { RequestHandler } from 'express';

import type { LfsRequest } from './request-context.js';

/** Gives every request an id (the proxy's, when it sent a sane one) echoed in X-Request-Id and error bodies. */
export const requestIdMiddleware: RequestHandler = (req, res, next) => {
  const given = req.headers['x-request-id'];
  const requestId = typeof given === 'string' && /^[\w.-]{8,64}$/.test(given) ? given : randomUUID();
  (req as LfsRequest).requestId = requestId;
  res.setHeader('X-Request-Id', requestId);
  next();
};
