import type { ServerResponse } from 'node:http';

import { isLfsPath, LFS_MEDIA_TYPE } from '@lfs-depot/contracts';
import type { ErrorBody, ErrorCode } from '@lfs-depot/contracts';

export const LFS_AUTHENTICATE_REALM = 'Basic realm="lfs-depot", charset="UTF-8"';
export const DOCUMENTATION_URL = 'https://github.com/git-lfs/git-lfs/tree/main/docs/api';

/** Writes an error in the one JSON shape every route uses, with the right media type and auth challenge. */
export function writeErrorResponse(
  res: ServerResponse,
  urlPath: string,
  status: number,
  code: ErrorCode,
  message: string,
  requestId: string | undefined,
  details?: Record<string, unknown>,
): void {
  if (res.headersSent) {
    // A streamed body already started: the only honest signal left is to cut the connection.
    res.destroy();
    return;
  }
  const lfs = isLfsPath(urlPath);
  const body: ErrorBody = { ...details, message, code, request_id: requestId };
  if (lfs) {
    body.documentation_url = DOCUMENTATION_URL;
  }
  if (status === 401) {
    if (lfs) {
      res.setHeader('LFS-Authenticate', LFS_AUTHENTICATE_REALM);
      res.setHeader('WWW-Authenticate', LFS_AUTHENTICATE_REALM);
    } else {
      res.setHeader('WWW-Authenticate', 'Bearer realm="lfs-depot"');
    }
  }
  if (status === 429 && !res.getHeader('Retry-After')) {
    const retryAfter = details?.retry_after_seconds;
    res.setHeader('Retry-After', String(typeof retryAfter === 'number' ? retryAfter : 1));
  }
  res.statusCode = status;
  res.setHeader('Content-Type', `${lfs ? LFS_MEDIA_TYPE : 'application/json'}; charset=utf-8`);
  res.end(JSON.stringify(body));
}
