import type { IncomingMessage, ServerResponse } from 'node:http';

import { LFS_AUTHENTICATE_CHALLENGE, LFS_MEDIA_TYPE } from '@lfs-depot/contracts';

import type { ApiAnswer } from '../api-client/api.client.js';

/**
 * The answer's content type as the client must see it. The API answers the proxy's internal calls with plain JSON
 * (they are not LFS routes to it), but the client asked on an LFS transfer route, where every error carries the Git
 * LFS media type (README, HTTP API); the body itself is relayed unchanged.
 */
function clientContentType(contentType: string): string {
  if (!contentType) {
    return `${LFS_MEDIA_TYPE}; charset=utf-8`;
  }
  return contentType.replace(/^application\/json(?=\s*(;|$))/i, LFS_MEDIA_TYPE);
}

/**
 * Sends the API's answer (to a transfer route's authorize or finalize) to the client. When the client is still
 * sending a body we will not read, the connection is closed after the answer rather than left to drain gigabytes we
 * don't want.
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
    'Content-Type': clientContentType(answer.contentType),
    'Content-Length': Buffer.byteLength(answer.body),
    'X-Request-Id': requestId,
  };
  if (answer.retryAfter !== undefined) {
    headers['Retry-After'] = answer.retryAfter;
  }
  if (answer.status === 401) {
    headers['LFS-Authenticate'] = LFS_AUTHENTICATE_CHALLENGE;
    headers['WWW-Authenticate'] = LFS_AUTHENTICATE_CHALLENGE;
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
