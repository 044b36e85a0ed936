import type { ServerResponse } from 'node:http';

import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { Catch, HttpException, Logger } from '@nestjs/common';
import { DomainError, ErrorCode, errorCodeForStatus } from '@lfs-depot/contracts';
import { routeFamily } from '@lfs-depot/observability';
import { StorageFailure } from '@lfs-depot/storage';

import { isDatabaseUnavailable } from '../database/database-errors.js';
import { writeErrorResponse } from './error-response.js';
import { BodyAbortedError } from './json-body.js';
import type { LfsRequest } from './request-context.js';

const logger = new Logger('Errors');

/** What a client is told to wait while the database is unreachable (connections time out after 10 s). */
const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * The one place errors become HTTP responses, for Nest's routes (through LfsExceptionFilter) and for the batch fast
 * path alike. Unknown errors become a generic 500; their cause is logged.
 */
export function writeExceptionResponse(
  res: ServerResponse,
  method: string,
  urlPath: string,
  requestId: string | undefined,
  exception: unknown,
): void {
  if (exception instanceof BodyAbortedError) {
    res.destroy();
    return;
  }
  if (exception instanceof DomainError) {
    writeErrorResponse(res, urlPath, requestId, {
      code: exception.code,
      message: exception.message,
      details: exception.details,
    });
    return;
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code = errorCodeForStatus(status);
    const message = status === 404 ? `No route for ${method} ${urlPath}` : exception.message;
    if (status >= 500) {
      logger.error(
        { request_id: requestId, route: routeFamily(method, urlPath), err: exception },
        exception.message,
      );
    }
    writeErrorResponse(res, urlPath, requestId, { code, message, status });
    return;
  }
  if (exception instanceof StorageFailure) {
    // Not a bug either: the storage backend failed or timed out. The answer says so and when to come back.
    logger.warn({ request_id: requestId, route: routeFamily(method, urlPath) }, exception.message);
    writeErrorResponse(res, urlPath, requestId, exception.answer());
    return;
  }
  if (isDatabaseUnavailable(exception)) {
    // Not a bug: the database is down or restarting. One line, and an answer that tells clients to come back.
    logger.warn(
      { request_id: requestId, route: routeFamily(method, urlPath) },
      `database unavailable (${String(exception)})`,
    );
    writeErrorResponse(res, urlPath, requestId, {
      code: ErrorCode.SERVICE_UNAVAILABLE,
      message: 'The database is not reachable right now; try again shortly',
      details: { retry_after_seconds: DATABASE_RETRY_AFTER_SECONDS },
    });
    return;
  }
  logger.error(
    { request_id: requestId, route: routeFamily(method, urlPath), err: exception },
    `request failed: ${String(exception)}`,
  );
  writeErrorResponse(res, urlPath, requestId, { code: ErrorCode.INTERNAL, message: 'Internal server error' });
}

@Catch()
export class LfsExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<LfsRequest>();
    writeExceptionResponse(
      http.getResponse<ServerResponse>(),
      req.method,
      req.path,
      req.requestId,
      exception,
    );
  }
}
