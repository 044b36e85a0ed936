import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { Catch, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import { writeErrorResponse } from './error-response.js';
import { errorCodeForStatus, statusForErrorCode } from './error-status.js';
import type { LfsRequest } from './request-context.js';

/** The one place errors become HTTP responses. Unknown errors become a generic 500; their cause is logged. */
@Catch()
export class LfsExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<LfsRequest>();
    const res = http.getResponse<Response>();
    const urlPath = req.path;

    if (exception instanceof DomainError) {
      writeErrorResponse(
        res,
        urlPath,
        statusForErrorCode(exception.code),
        exception.code,
        exception.message,
        req.requestId,
        exception.details,
      );
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = errorCodeForStatus(status);
      const message = status === 404 ? `No route for ${req.method} ${urlPath}` : exception.message;
      if (status >= 500) {
        this.logger.error(
          `${req.method} ${urlPath} [${req.requestId}]: ${exception.message}`,
          exception.stack,
        );
      }
      writeErrorResponse(res, urlPath, status, code, message, req.requestId);
      return;
    }
    this.logger.error(
      `${req.method} ${urlPath} [${req.requestId}] failed: ${String(exception)}`,
      exception instanceof Error ? exception.stack : undefined,
    );
    writeErrorResponse(res, urlPath, 500, ErrorCode.INTERNAL, 'Internal server error', req.requestId);
  }
}
