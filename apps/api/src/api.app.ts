import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Config } from '@lfs-depot/config';

import { ApiModule } from './api.module.js';
import { clientAddressMiddleware } from './auth/request-client.js';
import { installBatchFastPath } from './batch/batch-http.handler.js';
import type { ApiRuntime } from './core/api-runtime.js';
import { ApiSecrets } from './core/api-secrets.js';
import { CONFIG } from './core/api-runtime.js';
import { JsonBodyInterceptor } from './http/json-body.interceptor.js';
import { LfsExceptionFilter } from './http/lfs-exception.filter.js';
import { requestIdMiddleware } from './http/request-id.middleware.js';
import { createValidationPipe } from './http/validation.pipe.js';
import { MetricsRegistry } from './metrics/metrics.registry.js';
import { requestMetricsMiddleware } from './metrics/request-metrics.middleware.js';

/** Builds the API application (not yet listening) around a runtime; used by main and by tests. */
export async function createApiApp(
  runtime: ApiRuntime,
  options: { logger?: LoggerService | LogLevel[] | false } = {},
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(runtime), {
    bodyParser: false,
    logger: options.logger ?? ['error', 'warn'],
    abortOnError: false,
  });
  app.disable('x-powered-by');
  app.set('etag', false);
  // X-Forwarded-For is trusted from no one: whoever reaches the API port could write it. The proxy signs the
  // client's address instead (requestClientAddress).
  app.set('trust proxy', false);
  installBatchFastPath(app);
  app.use(requestIdMiddleware);
  app.use(clientAddressMiddleware(app.get(ApiSecrets).internal.clientAddress));
  app.use(requestMetricsMiddleware(app.get(MetricsRegistry)));
  // No body parser here: each route's body is read by JsonBodyInterceptor after its guards (see @JsonBody).
  app.useGlobalFilters(new LfsExceptionFilter());
  app.useGlobalInterceptors(new JsonBodyInterceptor(app.get(Reflector), app.get<Config>(CONFIG)));
  app.useGlobalPipes(createValidationPipe());

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('lfs-depot admin API')
      .setDescription('Users, tokens, projects, members and statistics of a lfs-depot Git LFS server')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs/openapi.json' });
  return app;
}
