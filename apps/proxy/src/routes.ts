import type { IncomingMessage } from 'node:http';

import { isValidOid, parseLfsPath } from '@lfs-depot/contracts';

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
