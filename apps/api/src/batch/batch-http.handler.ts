import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';

import type { INestApplication } from '@nestjs/common';
import type { Config } from '@lfs-depot/config';
import { isLfsMediaType, LFS_MEDIA_TYPE, parseLfsPath } from '@lfs-depot/contracts';

import { BasicAuthStrategy } from '../auth/basic-auth.strategy.js';
import { requestClientAddress } from '../auth/request-client.js';
import { ApiSecrets } from '../core/api-secrets.js';
import type { Principal } from '../core/principal.js';
import { CONFIG } from '../core/api-runtime.js';
import { batchBodyLimit, readJsonBody } from '../http/json-body.js';
import { writeExceptionResponse } from '../http/lfs-exception.filter.js';
import type { LfsRequest } from '../http/request-context.js';
import { assignRequestId } from '../http/request-id.middleware.js';
import { noteRequestUser } from '../http/request-log.js';
import { ProjectAccessService } from '../projects/project-access.service.js';
import { serializeBatchResponse } from './batch-response.serializer.js';
import { BatchService } from './batch.service.js';

const BATCH_ROUTE_SUFFIX = '/info/lfs/objects/batch';

/** JSON in UTF-8, as git-lfs sends it; any other body type, charset or encoding takes the full pipeline. */
const PLAIN_JSON = /^application\/(?:vnd\.git-lfs\+)?json\s*(?:;\s*charset="?utf-8"?\s*)?$/i;

/**
 * Answers the batch API — the one route every clone, fetch and push calls, in bursts — straight from Node's request
 * event, ahead of Express and Nest. Their pipeline (middleware, router, guards, parameter decorators, body parser,
 * `res.send`) was over a third of the API's time for a warm batch; without it the batch rate through the proxy
 * roughly doubled (bench/README.md has the figures).
 *
 * It does what that pipeline does for this route, with the same pieces: the request id (the access line and request
 * metrics wrap both paths), the media-type check, HTTP Basic authentication through the same passport strategy and
 * verify callback as LfsAuthGuard (with the client address the proxy signed), ProjectAccessGuard's read check before
 * the body is read, the same body reader (readJsonBody) and limit as @JsonBody, BatchService, and errors
 * through the same writer as LfsExceptionFilter.
 * Only the common request is answered here; anything unusual (another Accept or Content-Type, a charset or
 * Content-Encoding, a query string, no body at all) goes to Express unchanged, where BatchController answers it.
 */
export class BatchHttpHandler {
  constructor(
    private readonly basic: BasicAuthStrategy,
    private readonly access: ProjectAccessService,
    private readonly batches: BatchService,
    /** Checks the client address the proxy signed. */
    private readonly secrets: ApiSecrets,
    private readonly bodyLimit: number,
  ) {}

  /** The project path when this handler answers the request; undefined sends it to Express. */
  projectOf(req: IncomingMessage): string | undefined {
    const url = req.url;
    if (req.method !== 'POST' || url === undefined || !url.endsWith(BATCH_ROUTE_SUFFIX)) {
      return undefined;
    }
    const type = req.headers['content-type'];
    // Without a body (no Content-Length, no Transfer-Encoding) body-parser leaves none, which reads differently.
    const hasBody =
      req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    if (
      !hasBody ||
      !isLfsMediaType(req.headers.accept) ||
      type === undefined ||
      !PLAIN_JSON.test(type) ||
      req.headers['content-encoding'] !== undefined
    ) {
      return undefined;
    }
    return parseLfsPath(url)?.project;
  }

  handle(req: IncomingMessage, res: ServerResponse, project: string): void {
    const path = req.url ?? '';
    const requestId = assignRequestId(req, res);
    void this.answer(req, res, project, path, requestId);
  }

  private async answer(
    req: IncomingMessage,
    res: ServerResponse,
    project: string,
    path: string,
    requestId: string,
  ): Promise<void> {
    try {
      const { authorization } = req.headers;
      let principal: Principal | undefined;
      if (authorization) {
        principal = await this.basic.authenticate(
          authorization,
          requestClientAddress(req, this.secrets.internal.clientAddress),
        );
        (req as LfsRequest).principal = principal;
        noteRequestUser(req, principal.username);
      }
      const access = await this.access.requireAccess(principal, project, 'read');
      const body = await readJsonBody(req, this.bodyLimit);
      const { response, vouched } = await this.batches.batch(principal, project, body, access);
      const { json, ascii } = serializeBatchResponse(response, vouched);
      res.writeHead(200, {
        'Content-Type': `${LFS_MEDIA_TYPE}; charset=utf-8`,
        'Content-Length': ascii ? json.length : Buffer.byteLength(json),
      });
      // ASCII is the same bytes in Latin-1 and UTF-8; Latin-1 is written as a plain copy.
      res.end(json, ascii ? 'latin1' : 'utf8');
    } catch (error) {
      writeExceptionResponse(res, 'POST', path, requestId, error);
    }
  }
}

/**
 * Puts a BatchHttpHandler in front of Express on the application's HTTP server. Call once, after the application is
 * created and before it listens.
 */
export function installBatchFastPath(app: INestApplication): void {
  const server = app.getHttpServer() as Server;
  const listeners = server.listeners('request') as RequestListener[];
  const [express] = listeners;
  if (listeners.length !== 1 || !express) {
    throw new Error(`Expected Express as the one request listener, found ${listeners.length}`);
  }
  const handler = new BatchHttpHandler(
    app.get(BasicAuthStrategy),
    app.get(ProjectAccessService),
    app.get(BatchService),
    app.get(ApiSecrets),
    batchBodyLimit(app.get<Config>(CONFIG).limits.maxObjectsPerBatch),
  );
  server.removeListener('request', express);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const project = handler.projectOf(req);
    if (project === undefined) {
      express(req, res);
    } else {
      handler.handle(req, res, project);
    }
  });
}
