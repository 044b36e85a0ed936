import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';

import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { ACTING_USER_HEADER } from '@lfs-depot/contracts';
import { currentRequest } from '@lfs-depot/observability';
import type { RequestLog } from '@lfs-depot/observability';
import type { Observable } from 'rxjs';

import { assignRequestId } from './request-id.middleware.js';
import type { LfsRequest } from './request-context.js';

/**
 * Wraps the server's one request listener (Express, or the batch fast path in front of it) so that every request
 * gets its id and its access line, and runs as the current request of `log` (see noteRequestUser).
 */
export function installRequestLog(server: Server, log: RequestLog): void {
  const listeners = server.listeners('request') as RequestListener[];
  const [inner] = listeners;
  if (listeners.length !== 1 || !inner) {
    throw new Error(`Expected one request listener, found ${listeners.length}`);
  }
  server.removeListener('request', inner);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const record = log.begin(req, res, assignRequestId(req, res));
    log.run(record, () => inner(req, res));
  });
}

/**
 * Names the authenticated user of the current request: in its access line, and (while the answer is unsent) in a
 * header the proxy reads for its own line and removes.
 */
export function noteRequestUser(username: string | undefined): void {
  const record = currentRequest();
  if (!record || username === undefined) {
    return;
  }
  record.user = username;
  if (!record.response.headersSent) {
    record.response.setHeader(ACTING_USER_HEADER, encodeURIComponent(username));
  }
}

/** The principal a guard authenticated, once every guard let the request through. */
export class RequestUserInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    noteRequestUser(context.switchToHttp().getRequest<LfsRequest>().principal?.username);
    return next.handle();
  }
}
