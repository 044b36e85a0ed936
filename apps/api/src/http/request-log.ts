import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';

import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { createParamDecorator } from '@nestjs/common';
import { ACTING_USER_HEADER, isRecord } from '@lfs-depot/contracts';
import { requestRecordOf } from '@lfs-depot/observability';
import type { RequestLog } from '@lfs-depot/observability';
import type { Observable } from 'rxjs';

import { assignRequestId } from './request-id.middleware.js';
import type { UserNote } from '../core/principal.js';
import type { LfsRequest } from './request-context.js';

/**
 * Wraps the server's one request listener (Express, or the batch fast path in front of it) so that every request
 * gets its id and its access line, whose record the request carries (see noteRequestUser).
 */
export function installRequestLog(server: Server, log: RequestLog): void {
  const listeners = server.listeners('request') as RequestListener[];
  const [inner] = listeners;
  if (listeners.length !== 1 || !inner) {
    throw new Error(`Expected one request listener, found ${listeners.length}`);
  }
  server.removeListener('request', inner);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    log.begin(req, res, assignRequestId(req, res));
    inner(req, res);
  });
}

/**
 * Names the authenticated user of `req`: in its access line, and (while the answer is unsent) in a header the proxy
 * reads for its own line and removes.
 */
export function noteRequestUser(req: IncomingMessage, username: string | undefined): void {
  const record = requestRecordOf(req);
  if (!record || username === undefined) {
    return;
  }
  record.user = username;
  if (!record.response.headersSent) {
    record.response.setHeader(ACTING_USER_HEADER, encodeURIComponent(username));
  }
}

/**
 * Names the project of an internal call (the proxy's authorize and finalize) in its access line: its URL names none,
 * its signed body does. Only a string, and only when nothing named one already.
 */
export function noteRequestProject(req: IncomingMessage & { body?: unknown }, project?: unknown): void {
  const record = requestRecordOf(req);
  const named = project ?? (isRecord(req.body) ? req.body.project : undefined);
  if (record && record.project === undefined && typeof named === 'string') {
    record.project = named;
  }
}

/** The principal a guard authenticated, once every guard let the request through. */
export class RequestUserInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<LfsRequest>();
    noteRequestUser(req, req.principal?.username);
    return next.handle();
  }
}

/**
 * A route parameter for services that authenticate the caller themselves (transfers, verify): the UserNote that
 * names the user in this request's access line.
 */
export const RequestUserNote = createParamDecorator((_data: unknown, context: ExecutionContext): UserNote => {
  const req = context.switchToHttp().getRequest<LfsRequest>();
  return (username) => noteRequestUser(req, username);
});
