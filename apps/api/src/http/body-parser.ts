import type { ServerResponse } from 'node:http';

import type { ErrorRequestHandler, RequestHandler } from 'express';
import express from 'express';
import { ErrorCode, formatBytes } from '@lfs-depot/contracts';

import { writeErrorResponse } from './error-response.js';
import type { LfsRequest } from './request-context.js';

/** Largest JSON body accepted: a 1,000-object batch is ~100 KiB; a 10,000-path push check a few MiB. */
export const JSON_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

/** Answers a body that is not JSON (the body parser's `entity.parse.failed`, and the batch fast path's). */
export function writeMalformedJson(
  res: ServerResponse,
  urlPath: string,
  requestId: string | undefined,
): void {
  writeErrorResponse(res, urlPath, requestId, {
    code: ErrorCode.MALFORMED_JSON,
    message: 'Request body is not valid JSON',
  });
}

/** Answers a body over JSON_BODY_LIMIT_BYTES. */
export function writeBodyTooLarge(res: ServerResponse, urlPath: string, requestId: string | undefined): void {
  writeErrorResponse(res, urlPath, requestId, {
    code: ErrorCode.PAYLOAD_TOO_LARGE,
    message: `Request body is larger than ${formatBytes(JSON_BODY_LIMIT_BYTES)}`,
  });
}

/** Parses JSON bodies (plain and `+json` vendor types such as the Git LFS one), keeping the raw bytes for signatures. */
export function jsonBodyParser(): RequestHandler {
  return express.json({
    limit: JSON_BODY_LIMIT_BYTES,
    type: ['application/json', 'application/*+json'],
    verify: (req, _res, buffer) => {
      (req as LfsRequest & { rawBody?: Buffer }).rawBody = buffer;
    },
  });
}

/** Turns body-parser failures into our JSON errors instead of Express's HTML page. */
export const bodyParserErrorHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
  const type = (error as { type?: string }).type ?? '';
  const request = req as LfsRequest;
  switch (type) {
    case 'entity.parse.failed':
      writeMalformedJson(res, req.path, request.requestId);
      return;
    case 'entity.too.large':
      writeBodyTooLarge(res, req.path, request.requestId);
      return;
    case 'encoding.unsupported':
    case 'charset.unsupported':
      writeErrorResponse(res, req.path, request.requestId, {
        code: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        message: 'Unsupported body encoding',
      });
      return;
    case 'request.aborted':
      res.destroy();
      return;
    default:
      next(error);
  }
};
