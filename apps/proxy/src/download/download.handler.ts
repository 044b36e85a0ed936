import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { clientAddress, ErrorCode } from '@lfs-depot/contracts';
import { ObjectMissingError } from '@lfs-depot/storage';

import { ApiDenial } from '../api-client/api.client.js';
import { sendJsonError } from '../http/json-error.js';
import { relayAnswer } from '../http/relay.js';
import type { TransferDeps } from '../transfer-deps.js';
import { parseRange } from './byte-range.js';

class StoredLengthMismatch extends Error {}

/**
 * Streams `body` into `res`, failing when the stored bytes run out before the announced Content-Length. Without the
 * check a short file would end the body early on a kept-alive socket and leave the client waiting for bytes that
 * never come; cutting the socket instead makes the client see a truncated download. Counting with a listener keeps
 * the hot path free of an extra stream stage.
 */
async function streamExactly(body: Readable, res: ServerResponse, expected: number): Promise<void> {
  let sent = 0;
  const done = pipeline(body, res);
  // pipeline() has attached its own listeners synchronously, so no chunk can pass before this one is counted.
  body.on('data', (chunk: Buffer) => {
    sent += chunk.length;
  });
  body.once('end', () => {
    if (sent !== expected) {
      res.destroy(new StoredLengthMismatch(`read ${sent} of ${expected} bytes`));
    }
  });
  await done;
  if (sent !== expected) {
    throw new StoredLengthMismatch(`read ${sent} of ${expected} bytes`);
  }
}

export interface DownloadRoute {
  project: string;
  oid: string;
}

/** GET (or HEAD) of an object's bytes: authorize with the API, then stream from storage, honouring one Range. */
export async function handleDownload(
  route: DownloadRoute,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  deps: TransferDeps,
): Promise<void> {
  try {
    const { storageKey, size } = await deps.api.authorizeDownload(
      {
        project: route.project,
        oid: route.oid,
        authorization: req.headers.authorization,
        client: clientAddress(req, deps.trustedProxyHops),
      },
      requestId,
    );
    const requested = parseRange(req.headers.range, size);
    if (requested.kind === 'unsatisfiable') {
      res.writeHead(416, {
        'Content-Range': `bytes */${size}`,
        'Content-Length': 0,
        'X-Request-Id': requestId,
      });
      res.end();
      return;
    }
    const range = requested.kind === 'range' ? requested.range : undefined;
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/octet-stream',
      // Objects are whatever was uploaded (HTML, SVG, scripts): a browser must not sniff them into something it runs.
      'X-Content-Type-Options': 'nosniff',
      'Accept-Ranges': 'bytes',
      'Content-Length': range ? range.end - range.start + 1 : size,
      'X-Request-Id': requestId,
    };
    if (range) {
      headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
    }
    if (req.method === 'HEAD') {
      res.writeHead(range ? 206 : 200, headers);
      res.end();
      return;
    }
    const body = size === 0 ? undefined : await deps.storage.open(storageKey, range);
    res.writeHead(range ? 206 : 200, headers);
    if (!body) {
      res.end();
      return;
    }
    await streamExactly(body, res, Number(headers['Content-Length']));
  } catch (error) {
    if (error instanceof ApiDenial) {
      relayAnswer(req, res, error.answer, requestId);
    } else if (error instanceof ObjectMissingError) {
      deps.log(
        `integrity: ${route.oid} is linked to ${route.project} but missing from storage [${requestId}]`,
      );
      sendJsonError(res, ErrorCode.OBJECT_NOT_FOUND, 'Object does not exist', requestId, true);
    } else if (res.headersSent) {
      if (error instanceof StoredLengthMismatch) {
        deps.log(`integrity: stored bytes of ${route.oid} do not match its recorded size [${requestId}]`);
      }
      res.destroy();
    } else {
      deps.log(`download ${route.oid} from ${route.project} failed [${requestId}]: ${String(error)}`);
      sendJsonError(res, ErrorCode.INTERNAL, 'The object could not be read; try again', requestId, true);
    }
  }
}
