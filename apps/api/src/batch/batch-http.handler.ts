import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';

import type { INestApplication } from '@nestjs/common';
import { isLfsMediaType, LFS_MEDIA_TYPE, parseLfsPath } from '@lfs-depot/contracts';

import { AuthService } from '../auth/auth.service.js';
import { requestClientAddress } from '../auth/request-client.js';
import { ApiSecrets } from '../core/api-secrets.js';
import type { Principal } from '../core/principal.js';
import { JSON_BODY_LIMIT_BYTES, writeBodyTooLarge, writeMalformedJson } from '../http/body-parser.js';
import { writeExceptionResponse } from '../http/lfs-exception.filter.js';
import { assignRequestId } from '../http/request-id.middleware.js';
import { MetricsRegistry } from '../metrics/metrics.registry.js';
import { countWhenAnswered } from '../metrics/request-metrics.middleware.js';
import { serializeBatchResponse } from './batch-response.serializer.js';
import { BatchService } from './batch.service.js';

const BATCH_ROUTE_SUFFIX = '/info/lfs/objects/batch';

/** JSON in UTF-8, as git-lfs sends it; any other body type, charset or encoding takes the full pipeline. */
const PLAIN_JSON = /^application\/(?:vnd\.git-lfs\+)?json\s*(?:;\s*charset="?utf-8"?\s*)?$/i;

/** body-parser's strict mode: a JSON body must be an object or an array (whitespace before it allowed). */
const STARTS_LIKE_OBJECT_OR_ARRAY = /^[ \t\n\r]*[{[]/;

type BodyResult = { body: unknown } | { failure: 'malformed' | 'too-large' | 'aborted' };

/**
 * Answers the batch API — the one route every clone, fetch and push calls, in bursts — straight from Node's request
 * event, ahead of Express and Nest. Their pipeline (middleware, router, guards, parameter decorators, body parser,
 * `res.send`) was over a third of the API's time for a warm batch; without it the batch rate through the proxy
 * roughly doubled (bench/README.md has the figures).
 *
 * It does what that pipeline does for this route, with the same pieces: the request id and request metrics, the
 * media-type check, HTTP Basic authentication (with the client address the proxy signed), a UTF-8 JSON
 * body with the same limit and strictness, BatchService, and errors through the same writer as LfsExceptionFilter.
 * Only the common request is answered here; anything unusual (another Accept or Content-Type, a charset or
 * Content-Encoding, a query string, no body at all) goes to Express unchanged, where BatchController answers it.
 */
export class BatchHttpHandler {
  constructor(
    private readonly auth: AuthService,
    private readonly batches: BatchService,
    private readonly metrics: MetricsRegistry,
    /** Checks the client address the proxy signed. */
    private readonly secrets: ApiSecrets,
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
    countWhenAnswered(this.metrics, path, req, res);
    void readJsonBody(req).then(async (result) => {
      if ('failure' in result) {
        if (result.failure === 'aborted') {
          res.destroy();
        } else if (result.failure === 'too-large') {
          writeBodyTooLarge(res, path, requestId);
        } else {
          writeMalformedJson(res, path, requestId);
        }
        return;
      }
      try {
        const { authorization } = req.headers;
        let principal: Principal | undefined;
        if (authorization) {
          principal = await this.auth.authenticateAuthorization(
            authorization,
            requestClientAddress(req, this.secrets.internalSecret),
          );
        }
        const { json, ascii } = serializeBatchResponse(
          await this.batches.batch(principal, project, result.body),
        );
        res.writeHead(200, {
          'Content-Type': `${LFS_MEDIA_TYPE}; charset=utf-8`,
          'Content-Length': ascii ? json.length : Buffer.byteLength(json),
        });
        // ASCII is the same bytes in Latin-1 and UTF-8; Latin-1 is written as a plain copy.
        res.end(json, ascii ? 'latin1' : 'utf8');
      } catch (error) {
        writeExceptionResponse(res, 'POST', path, requestId, error);
      }
    });
  }
}

/** Reads and parses the body as body-parser's json() would: at most JSON_BODY_LIMIT_BYTES, strict, BOM dropped. */
function readJsonBody(req: IncomingMessage): Promise<BodyResult> {
  return new Promise((resolve) => {
    if (Number(req.headers['content-length'] ?? 0) > JSON_BODY_LIMIT_BYTES) {
      req.pause();
      resolve({ failure: 'too-large' });
      return;
    }
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length > JSON_BODY_LIMIT_BYTES) {
        req.off('data', onData);
        req.pause();
        resolve({ failure: 'too-large' });
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    // After 'end' (or a refusal) these settle nothing: a promise resolves once.
    req.once('close', () => resolve({ failure: 'aborted' }));
    req.once('error', () => resolve({ failure: 'aborted' }));
    req.once('end', () => {
      let text = Buffer.concat(chunks, length).toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) {
        text = text.slice(1);
      }
      if (text.length === 0) {
        resolve({ body: {} });
        return;
      }
      if (!STARTS_LIKE_OBJECT_OR_ARRAY.test(text)) {
        resolve({ failure: 'malformed' });
        return;
      }
      try {
        resolve({ body: JSON.parse(text) as unknown });
      } catch {
        resolve({ failure: 'malformed' });
      }
    });
  });
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
    app.get(AuthService),
    app.get(BatchService),
    app.get(MetricsRegistry),
    app.get(ApiSecrets),
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
