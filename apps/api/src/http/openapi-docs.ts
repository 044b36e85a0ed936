import type { INestApplication } from '@nestjs/common';
import * as swagger from '@nestjs/swagger';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express from 'express';
import type { Request, RequestHandler, Router } from 'express';

import { applyOpenApiDecorators } from './openapi.decorator.js';

// Loaded on the first request for the docs (lazy-openapi-docs.ts), never at start: the one module that brings
// @nestjs/swagger into the API. Its paths are lazy-openapi-docs.ts's DOCS_PATHS.

/**
 * The docs routes SwaggerModule.setup registers (UI, assets, JSON and YAML documents), on a router of their own
 * rather than the application's: the application is listening already, and Express would try its Nest routes and
 * 404 handler first for anything registered now. The document is built on its first request, as SwaggerModule does.
 */
export function openApiDocsRouter(app: INestApplication): Router {
  applyOpenApiDecorators(swagger);
  const router = express.Router();
  const describe = () =>
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('lfs-depot admin API')
        .setDescription('Users, tokens, projects, members and statistics of a lfs-depot Git LFS server')
        .setVersion('1')
        .addBearerAuth()
        .build(),
    );
  SwaggerModule.setup('api/docs', routerApplication(router), describe, {
    jsonDocumentUrl: 'api/docs/openapi.json',
  });
  return router;
}

/**
 * What SwaggerModule.setup calls on an Express application (its adapter's `get`, `getType` and `getRequestUrl`,
 * and `useStaticAssets`, as platform-express implements them), onto `router`. Should a swagger upgrade call more,
 * the docs requests fail with a TypeError, which test/integration/openapi.int-spec.ts catches.
 */
function routerApplication(router: Router): INestApplication {
  const httpAdapter = {
    getType: () => 'express',
    get: (path: string, handler: RequestHandler) => router.get(path, handler),
    getRequestUrl: (req: Request) => req.originalUrl,
  };
  return {
    getHttpAdapter: () => httpAdapter,
    useStaticAssets: (root: string, options: { prefix: string }) =>
      router.use(options.prefix, express.static(root)),
  } as unknown as INestApplication;
}
