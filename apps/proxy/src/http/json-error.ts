import type { IncomingMessage, ServerResponse } from 'node:http';

import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';
import type { ErrorBody, ErrorCode } from '@lfs-depot/contracts';

/**
 * Writes a JSON error from the proxy itself, in the same shape the API uses. Given the request whose body is still
 * arriving, it closes the connection after the answer: the unread rest of the body would otherwise be taken for
 * the next request on a kept-alive socket.
 */
export function sendJsonError(
  res: ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
  requestId: string,
  lfs: boolean,
  req?: IncomingMessage,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body: ErrorBody = { message, code, request_id: requestId };
  const payload = JSON.stringify(body);
  const unread = req !== undefined && !req.readableEnded;
  res.writeHead(status, {
    'Content-Type': `${lfs ? LFS_MEDIA_TYPE : 'application/json'}; charset=utf-8`,
    'Content-Length': Buffer.byteLength(payload),
    'X-Request-Id': requestId,
    ...(unread && { Connection: 'close' }),
  });
  res.end(payload, () => {
    if (unread) {
      req.destroy();
    }
  });
}
