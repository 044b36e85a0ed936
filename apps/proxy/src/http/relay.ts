import type { IncomingMessage, ServerResponse } from 'node:http';

import type { ApiAnswer } from '../api-client/api.client.js';

/**
 * Sends the API's answer to the client as it is. When the client is still sending a body we will not read, the
 * connection is closed after the answer rather than left to drain gigabytes we don't want.
 */
export function relayAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  answer: ApiAnswer,
  requestId: string,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string | number> = {
    'Content-Type': answer.contentType || 'application/json',
    'Content-Length': Buffer.byteLength(answer.body),
    'X-Request-Id': requestId,
  };
  if (answer.status === 401) {
    headers['LFS-Authenticate'] = 'Basic realm="lfs-depot", charset="UTF-8"';
    headers['WWW-Authenticate'] = 'Basic realm="lfs-depot", charset="UTF-8"';
  }
  if (!req.readableEnded) {
    headers.Connection = 'close';
  }
  res.writeHead(answer.status, headers);
  res.end(answer.body, () => {
    if (!req.readableEnded) {
      req.destroy();
    }
  });
}
