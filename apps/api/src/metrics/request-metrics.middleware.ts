import type { IncomingMessage, ServerResponse } from 'node:http';

import type { RequestHandler } from 'express';

import { parseLfsPath } from '@lfs-depot/contracts';
import type { MetricsRegistry } from './metrics.registry.js';

/** Which family a path belongs to; bounded, so label cardinality stays fixed whatever URLs clients send. */
function routeFamily(path: string): string {
  const lfs = parseLfsPath(path);
  if (lfs) {
    return lfs.rest.startsWith('/locks')
      ? 'lfs_locks'
      : lfs.rest.startsWith('/objects/batch')
        ? 'lfs_batch'
        : 'lfs_other';
  }
  if (path.startsWith('/api/v1/')) {
    return 'admin';
  }
  if (path.startsWith('/internal/')) {
    return 'internal';
  }
  return 'other';
}

/** Counts the request, once answered, by route family, method and status. */
export function countWhenAnswered(
  metrics: MetricsRegistry,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  res.on('finish', () =>
    metrics.increment('lfs_depot_http_requests_total', 'HTTP requests answered by the API.', {
      route: routeFamily(path),
      method: req.method ?? '',
      status: String(res.statusCode),
    }),
  );
}

/** Counts every answered request by route family, method and status. */
export function requestMetricsMiddleware(metrics: MetricsRegistry): RequestHandler {
  return (req, res, next) => {
    countWhenAnswered(metrics, req.path, req, res);
    next();
  };
}
