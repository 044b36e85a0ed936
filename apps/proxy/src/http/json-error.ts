import type { IncomingMessage, ServerResponse } from 'node:http';

import { errorAnswer } from '@lfs-depot/contracts';
import type { ErrorCode } from '@lfs-depot/contracts';

/**
 * Writes a JSON error from the proxy itself: the contracts' errorAnswer, so the status, headers and body are the
 * API's for the same code. Given the request whose body is still arriving, it closes the connection after the
 * answer: the unread rest of the body would otherwise be taken for the next request on a kept-alive socket.
 */
export function sendJsonError(
  res: ServerResponse,
  code: ErrorCode,
  message: string,
  requestId: string,
  lfs: boolean,
  req?: IncomingMessage,
  details?: Record<string, unknown>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, headers, body } = errorAnswer({ code, message, requestId, lfs, details });
  const payload = JSON.stringify(body);
  const unread = req !== undefined && !req.readableEnded;
  res.writeHead(status, {
    ...headers,
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
