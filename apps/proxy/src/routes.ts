import type { IncomingMessage } from 'node:http';

import { isValidOid } from '@lfs-depot/contracts';

/** The object transfer routes the proxy serves itself; everything else goes to the API. */
export type ObjectRoute =
  | { kind: 'upload'; project: string; oid: string; size: number }
  | { kind: 'download'; project: string; oid: string };

const OBJECT_PATH = /^\/(.+?)(?:\.git)?\/info\/lfs\/objects\/([0-9a-f]{64})(?:\/(\d{1,16}))?$/;

/** Matches `PUT|GET /{project}[.git]/info/lfs/objects/{oid}[/{size}]`; size is required for uploads. */
export function matchObjectRoute(req: IncomingMessage): ObjectRoute | undefined {
  const pathname = (req.url ?? '/').split('?')[0] ?? '/';
  const match = OBJECT_PATH.exec(pathname);
  if (!match?.[1] || !isValidOid(match[2])) {
    return undefined;
  }
  let project: string;
  try {
    project = decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
  if (req.method === 'PUT' && match[3] !== undefined) {
    return { kind: 'upload', project, oid: match[2], size: Number(match[3]) };
  }
  if ((req.method === 'GET' || req.method === 'HEAD') && match[3] === undefined) {
    return { kind: 'download', project, oid: match[2] };
  }
  return undefined;
}

/** Whether a path is one of the LFS routes, whose errors use the Git LFS media type. */
export function isLfsPath(url: string | undefined): boolean {
  return /\/info\/lfs(\/|$|\?)/.test(url ?? '');
}
