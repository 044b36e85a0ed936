import type { IncomingMessage } from 'node:http';

import { DomainError, ErrorCode, PROJECT_ARCHIVE_MEDIA_TYPE } from '@lfs-depot/contracts';

import { BodyAbortedError } from './json-body.js';

const TAR_TYPE = /^application\/(?:x-)?tar\s*(?:;|$)/i;

/**
 * Checks that a request's body is an uncompressed tar and hands it over to be read as a stream. Like readJsonBody, it
 * must be called only after the route's authentication: nothing of the body is read before. Throws 415 for another
 * content type or any content encoding, and BodyAbortedError when the client already went away.
 */
export function tarBody(req: IncomingMessage): IncomingMessage {
  const type = req.headers['content-type'];
  if (type === undefined || !TAR_TYPE.test(type)) {
    throw new DomainError(
      ErrorCode.UNSUPPORTED_MEDIA_TYPE,
      `Send the archive as Content-Type: ${PROJECT_ARCHIVE_MEDIA_TYPE}`,
    );
  }
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    throw new DomainError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Unsupported body encoding');
  }
  if (req.destroyed) {
    throw new BodyAbortedError();
  }
  return req;
}
