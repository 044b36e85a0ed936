import { parseLfsPath } from '@lfs-depot/contracts';

/**
 * Every route family a request can fall in: what access lines and metrics name instead of the URL, which may carry
 * anything a client typed. Bounded, so a metric's label values stay few whatever URLs clients send.
 */
export const ROUTE_FAMILIES = [
  'lfs_batch',
  'lfs_upload',
  'lfs_download',
  'lfs_verify',
  'lfs_locks',
  'lfs_other',
  'admin',
  'docs',
  'internal',
  'health',
  'metrics',
  'other',
] as const;

export type RouteFamily = (typeof ROUTE_FAMILIES)[number];

const OBJECT_TRANSFER = /^\/objects\/[0-9a-f]{64}(\/\d+)?$/;

/** The family of a request, from its method and URL (a query string is ignored). */
export function routeFamily(method: string | undefined, url: string | undefined): RouteFamily {
  const path = (url ?? '/').split('?', 1)[0] ?? '/';
  const lfs = parseLfsPath(path);
  if (lfs) {
    const { rest } = lfs;
    if (rest === '/objects/batch') {
      return 'lfs_batch';
    }
    if (rest === '/objects/verify') {
      return 'lfs_verify';
    }
    if (rest === '/locks' || rest.startsWith('/locks/')) {
      return 'lfs_locks';
    }
    const transfer = OBJECT_TRANSFER.exec(rest);
    if (transfer) {
      return transfer[1] !== undefined && method === 'PUT' ? 'lfs_upload' : 'lfs_download';
    }
    return 'lfs_other';
  }
  if (path.startsWith('/api/v1/')) {
    return 'admin';
  }
  if (path === '/api/docs' || path.startsWith('/api/docs/')) {
    return 'docs';
  }
  if (path.startsWith('/internal/')) {
    return 'internal';
  }
  if (path === '/-/health' || path === '/-/readiness') {
    return 'health';
  }
  if (path === '/metrics') {
    return 'metrics';
  }
  return 'other';
}

/** The project an LFS request names, or undefined (project paths are no secret; the rest of the URL may be). */
export function requestProject(url: string | undefined): string | undefined {
  return parseLfsPath((url ?? '/').split('?', 1)[0] ?? '/')?.project;
}
