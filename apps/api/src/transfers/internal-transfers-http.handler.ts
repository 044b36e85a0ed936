import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';

import type { INestApplication } from '@nestjs/common';
import { INTERNAL_AUTHORIZE_MEDIA_TYPE, INTERNAL_PATHS } from '@lfs-depot/contracts';
import type {
  DownloadCheckRequest,
  TransferAuthorizeRequest,
  UploadFinalizeRequest,
} from '@lfs-depot/contracts';

import { InternalSignatureGuard } from '../auth/internal-signature.guard.js';
import type { UserNote } from '../core/principal.js';
import type { BodyRequest } from '../http/json-body.js';
import { writeExceptionResponse } from '../http/lfs-exception.filter.js';
import { assignRequestId } from '../http/request-id.middleware.js';
import { noteRequestProject, noteRequestUser } from '../http/request-log.js';
import { TransfersService } from './transfers.service.js';

/** What Express's res.json writes for these answers: the route's type (or JSON's) with the charset it adds. */
const FINALIZE_TYPE = 'application/json; charset=utf-8';
const AUTHORIZE_TYPE = `${INTERNAL_AUTHORIZE_MEDIA_TYPE}; charset=utf-8`;

type InternalRoute = (transfers: TransfersService, body: unknown, noteUser: UserNote) => Promise<unknown>;

/**
 * The proxy's calls made for every object it moves: finalize after each upload, authorize before each download (or
 * the re-check of a token it serves grant downloads on).
 * Exact paths only (Express would also take another case, a trailing slash or a query string; those still go there).
 */
const ROUTES = new Map<string, { type: string; answer: InternalRoute }>([
  [
    INTERNAL_PATHS.finalizeUpload,
    {
      type: FINALIZE_TYPE,
      answer: (transfers, body, noteUser) =>
        transfers.finalizeUpload(body as UploadFinalizeRequest, noteUser),
    },
  ],
  [
    INTERNAL_PATHS.authorizeDownload,
    {
      type: AUTHORIZE_TYPE,
      answer: (transfers, body, noteUser) =>
        transfers.authorizeDownload(body as Omit<TransferAuthorizeRequest, 'size'>, noteUser),
    },
  ],
  [
    INTERNAL_PATHS.checkDownloads,
    {
      type: AUTHORIZE_TYPE,
      answer: (transfers, body, noteUser) => transfers.checkDownloads(body as DownloadCheckRequest, noteUser),
    },
  ],
]);

/**
 * Answers the proxy's per-object internal calls straight from Node's request event, ahead of Express and Nest, as
 * BatchHttpHandler does for the batch: for a small object their pipeline (middleware, router, guard and interceptor
 * chain, `res.json`) costs more than the call's own work. It runs what that pipeline runs for these routes, with the
 * same pieces: the request id, InternalSignatureGuard's check (Nest's instance for the controller is another one, but
 * both claim nonces in the one InternalNonces, so a nonce seen by either path is refused by both), InternalTransfersController's service call, the same answer bytes and headers, and errors
 * through LfsExceptionFilter's writer. The access line and request metrics wrap both paths (installRequestLog).
 */
export class InternalTransfersHttpHandler {
  constructor(
    private readonly signatures: InternalSignatureGuard,
    private readonly transfers: TransfersService,
  ) {}

  /** Whether this handler answers the request; false sends it to Express. */
  handles(req: IncomingMessage): boolean {
    return req.method === 'POST' && req.url !== undefined && ROUTES.has(req.url);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const requestId = assignRequestId(req, res);
    void this.answer(req, res, requestId);
  }

  private async answer(req: BodyRequest, res: ServerResponse, requestId: string): Promise<void> {
    const path = req.url ?? '';
    try {
      const route = ROUTES.get(path);
      if (!route) {
        throw new Error(`No internal route ${path}`);
      }
      await this.signatures.verify(req);
      noteRequestProject(req);
      const json = JSON.stringify(
        await route.answer(this.transfers, req.body, (username) => noteRequestUser(req, username)),
      );
      res.writeHead(200, { 'Content-Type': route.type, 'Content-Length': Buffer.byteLength(json) });
      res.end(json);
    } catch (error) {
      writeExceptionResponse(res, 'POST', path, requestId, error);
    }
  }
}

/**
 * Puts an InternalTransfersHttpHandler in front of the application's one request listener (Express, or the batch
 * fast path). Call once, after the application is created and before it listens.
 */
export function installInternalTransfersFastPath(app: INestApplication): void {
  const server = app.getHttpServer() as Server;
  const listeners = server.listeners('request') as RequestListener[];
  const [inner] = listeners;
  if (listeners.length !== 1 || !inner) {
    throw new Error(`Expected one request listener, found ${listeners.length}`);
  }
  const handler = new InternalTransfersHttpHandler(
    app.get(InternalSignatureGuard),
    app.get(TransfersService),
  );
  server.removeListener('request', inner);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (handler.handles(req)) {
      handler.handle(req, res);
    } else {
      inner(req, res);
    }
  });
}
