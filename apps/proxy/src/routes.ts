import type { IncomingMessage } from 'node:http';

import { isLfsPath, isValidOid, parseLfsPath } from '@lfs-depot/contracts';

/** The object transfer routes the proxy serves itself; everything else goes to the API. */
export type ObjectRoute =
  | { kind: 'upload'; project: string; oid: string; size: number }
  | { kind: 'download'; project: string; oid: string };

const OBJECT_REST = /^\/objects\/([0-9a-f]{64})(?:\/(\d{1,16}))?$/;

/** Matches `PUT|GET /{project}[.git]/info/lfs/objects/{oid}[/{size}]`; size is required for uploads. */
export function matchObjectRoute(req: IncomingMessage): ObjectRoute | undefined {
  const lfs = parseLfsPath((req.url ?? '/').split('?')[0] ?? '/');
  const match = lfs && OBJECT_REST.exec(lfs.rest);
  if (!lfs || !match || !isValidOid(match[1])) {
    return undefined;
  }
  if (req.method === 'PUT' && match[2] !== undefined) {
    return { kind: 'upload', project: lfs.project, oid: match[1], size: Number(match[2]) };
  }
  if ((req.method === 'GET' || req.method === 'HEAD') && match[2] === undefined) {
    return { kind: 'download', project: lfs.project, oid: match[1] };
  }
  return undefined;
}

/**
 * Whether a request URL names one of the API's internal endpoints however it is spelt: Express routes
 * case-insensitively, takes the path of an absolute-form URL and ignores a trailing slash, so the check decodes and
 * normalises before it looks. The proxy never forwards these: they are for its own signed calls.
 */
export function isInternalApiPath(url: string | undefined): boolean {
  const raw = (url ?? '/').split(/[?#]/)[0] ?? '/';
  const candidates = [raw];
  try {
    candidates.push(new URL(url ?? '/', 'http://proxy.invalid').pathname);
  } catch {
    // Not a URL at all: the raw path is all there is to judge.
  }
  for (const candidate of [...candidates]) {
    try {
      candidates.push(decodeURIComponent(candidate));
    } catch {
      // A malformed escape: judged as written.
    }
  }
  return candidates.some((candidate) => {
    const normalised = candidate.replace(/[/\\]+/g, '/');
    // A project may be named `internal`: its LFS routes (`/internal/info/lfs/…`) are no internal endpoint.
    return /^\/internal(?:[/?#]|$)/i.test(normalised) && !isLfsPath(normalised);
  });
}
