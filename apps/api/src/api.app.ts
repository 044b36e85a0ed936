import type { Server } from 'node:http';

import type { INestApplication } from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Config } from '@lfs-depot/config';
import { closeHttpServer, SHUTDOWN_GRACE_MS } from '@lfs-depot/config';
import { RequestLog, silentLogger } from '@lfs-depot/observability';
import type { Logger } from '@lfs-depot/observability';
import { Logger as NestPinoLogger } from 'nestjs-pino';

import { ApiModule } from './api.module.js';
import { clientAddressMiddleware, requestClientAddress } from './auth/request-client.js';
import { installBatchFastPath } from './batch/batch-http.handler.js';
import { QuietLogger } from './bootstrap/quiet.logger.js';
import type { ApiRuntime } from './core/api-runtime.js';
import { ApiSecrets } from './core/api-secrets.js';
import { CONFIG } from './core/api-runtime.js';
import { continueWhenBodyIsRead } from './http/expect-continue.js';
import { applyServerTimeouts } from './http/server-timeouts.js';
import { JsonBodyInterceptor } from './http/json-body.interceptor.js';
import { lazyOpenApiDocs } from './http/lazy-openapi-docs.js';
import { LfsExceptionFilter } from './http/lfs-exception.filter.js';
import type { LfsRequest } from './http/request-context.js';
import { requestIdMiddleware } from './http/request-id.middleware.js';
import { installRequestLog, RequestUserInterceptor } from './http/request-log.js';
import { createValidationPipe } from './http/validation.pipe.js';
import { ApiMetrics } from './metrics/api-metrics.js';
import { installInternalTransfersFastPath } from './transfers/internal-transfers-http.handler.js';

/**
 * Builds the API application (not yet listening) around a runtime; used by main and by tests. Every line, Nest's
 * own included, goes to `logger` (none by default).
 */
export async function createApiApp(
  runtime: ApiRuntime,
  options: { logger?: Logger } = {},
): Promise<INestApplication> {
  const logger = options.logger ?? silentLogger('api');
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(runtime, logger), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(new QuietLogger(app.get(NestPinoLogger), logger.isLevelEnabled('debug')));
  app.disable('x-powered-by');
  app.set('etag', false);
  // X-Forwarded-For is trusted from no one: whoever reaches the API port could write it. The proxy signs the
  // client's address instead (requestClientAddress).
  app.set('trust proxy', false);
  installBatchFastPath(app);
  installInternalTransfersFastPath(app);
  const { secrets } = runtime;
  installRequestLog(
    app.getHttpServer(),
    new RequestLog({
      logger,
      metrics: app.get(ApiMetrics).http,
      clientOf: (req) =>
        (req as LfsRequest).clientAddress ?? requestClientAddress(req, secrets.internal.clientAddress),
      userOf: (req) => (req as LfsRequest).principal?.username,
    }),
  );
  continueWhenBodyIsRead(app.getHttpServer());
  applyServerTimeouts(app.getHttpServer(), app.get<Config>(CONFIG).api);
  app.use(requestIdMiddleware);
  app.use(clientAddressMiddleware(app.get(ApiSecrets).internal.clientAddress));
  // No body parser here: each route's body is read by JsonBodyInterceptor after its guards (see @JsonBody).
  app.useGlobalFilters(new LfsExceptionFilter());
  app.useGlobalInterceptors(
    new RequestUserInterceptor(),
    new JsonBodyInterceptor(app.get(Reflector), app.get<Config>(CONFIG)),
  );
  app.useGlobalPipes(createValidationPipe());

  // The OpenAPI document and its UI: @nestjs/swagger is loaded, and the document built, on their first request.
  app.use(lazyOpenApiDocs(app));
  return app;
}

/**
 * Stops the application: the HTTP server first, so no new request starts and the requests under way get at most
 * `graceMs` (a connection that never finishes cannot hold the shutdown), then Nest's hooks (jobs, pools). Nest's own
 * close would wait for every open connection without bound.
 */
export async function closeApiApp(app: INestApplication, graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
  await closeHttpServer(app.getHttpServer() as Server, graceMs);
  await app.close();
}
