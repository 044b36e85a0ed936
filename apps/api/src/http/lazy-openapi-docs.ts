import type { INestApplication } from '@nestjs/common';
import type { RequestHandler } from 'express';

/**
 * Every path openapi-docs.ts serves: the UI at /api/docs (its assets beneath), the JSON document at
 * /api/docs/openapi.json and the YAML one at /api/docs-yaml. Case-insensitive, as Express's routing is.
 */
const DOCS_PATHS = /^\/api\/docs(?:-yaml)?(?:\/|$)/i;

/**
 * The docs routes, loaded with @nestjs/swagger on the first request for one of them (bench/README.md, "Idle
 * memory"); other requests pass by untouched.
 */
export function lazyOpenApiDocs(app: INestApplication): RequestHandler {
  let docs: Promise<RequestHandler> | undefined;
  return (req, res, next) => {
    if (!DOCS_PATHS.test(req.path)) {
      next();
      return;
    }
    docs ??= import('./openapi-docs.js').then(({ openApiDocsRouter }) => openApiDocsRouter(app));
    void docs.then(
      (router) => router(req, res, next),
      (error: unknown) => next(error),
    );
  };
}
