import type { ServerResponse } from 'node:http';

import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';
import type { ErrorBody, ErrorCode } from '@lfs-depot/contracts';

/** Writes a JSON error from the proxy itself, in the same shape the API uses. */
export function sendJsonError(
  res: ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
  requestId: string,
  lfs: boolean,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body: ErrorBody = { message, code, request_id: requestId };
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': `${lfs ? LFS_MEDIA_TYPE : 'application/json'}; charset=utf-8`,
    'Content-Length': Buffer.byteLength(payload),
    'X-Request-Id': requestId,
  });
  res.end(payload);
}
