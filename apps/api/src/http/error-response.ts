import type { ServerResponse } from 'node:http';

import { errorAnswer, isLfsPath } from '@lfs-depot/contracts';
import type { ErrorAnswerInput } from '@lfs-depot/contracts';

import { closeIfBodyUnread } from './json-body.js';

/** Writes an error in the one JSON shape every route uses (the contracts' errorAnswer), unless a body has started. */
export function writeErrorResponse(
  res: ServerResponse,
  urlPath: string,
  requestId: string | undefined,
  error: Omit<ErrorAnswerInput, 'lfs' | 'requestId'>,
): void {
  if (res.headersSent) {
    // A streamed body already started: the only honest signal left is to cut the connection.
    res.destroy();
    return;
  }
  const { status, headers, body } = errorAnswer({ ...error, requestId, lfs: isLfsPath(urlPath) });
  for (const [name, value] of Object.entries(headers)) {
    // A Retry-After set by whoever raised the 429 is more precise than the default.
    if (name !== 'Retry-After' || !res.hasHeader(name)) {
      res.setHeader(name, value);
    }
  }
  closeIfBodyUnread(res);
  res.statusCode = status;
  res.end(JSON.stringify(body));
}
