import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { clientAddress, DOWNLOAD_GRANT_HEADER, ErrorCode } from '@lfs-depot/contracts';
import type { RequestRecord } from '@lfs-depot/observability';
import {
  type ByteRange,
  fromStorage,
  ObjectMissingError,
  objectKey,
  type ObjectStorage,
  SMALL_READ_MAX,
  StorageFailure,
  StoredSizeMismatchError,
} from '@lfs-depot/storage';

import { ApiDenial } from '../api-client/api.client.js';
import { watchResponse } from '../http/body-watch.js';
import { sendJsonError } from '../http/json-error.js';
import { relayAnswer } from '../http/relay.js';

import type { TransferDeps } from '../transfer-deps.js';
import { denialReason, TransferReport } from '../transfer-report.js';
import { parseRange } from './byte-range.js';
import { admitDownload, downloaderOf } from './download-admission.js';

class StoredLengthMismatch extends Error {}

const GRANT_HEADER = DOWNLOAD_GRANT_HEADER.toLowerCase();

/**
 * Who may read which bytes: on the batch's grant when it proves the object (storage is keyed by content, so its key
 * is the oid's), else the API's authorize answer. Undefined when the grant was refused and the answer is written.
 */
async function authorizeDownload(
  route: DownloadRoute,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  deps: TransferDeps,
  report: TransferReport | undefined,
): Promise<{ storageKey: string; size: number; user?: string } | undefined> {
  const grant = req.headers[GRANT_HEADER];
  const request = {
    project: route.project,
    oid: route.oid,
    authorization: req.headers.authorization,
    grant: typeof grant === 'string' ? grant : undefined,
    client: clientAddress(req, deps.trustedProxyHops),
  };
  const decision = deps.grants ? await deps.grants.decide(request) : undefined;
  if (decision?.kind === 'granted') {
    return { storageKey: objectKey(route.oid), size: decision.size, user: decision.user };
  }
  if (decision?.kind === 'refused') {
    report?.finish('denied', 0, { reason: `403 ${decision.reason}` });
    sendJsonError(
      res,
      ErrorCode.FORBIDDEN,
      'The download grant does not prove this object; ask the batch API for it again',
      requestId,
      true,
    );
    return undefined;
  }
  return deps.api.authorizeDownload(request, requestId);
}

/**
 * Streams `body` into `res`, failing when the stored bytes run out before the announced Content-Length. Without the
 * check a short file would end the body early on a kept-alive socket and leave the client waiting for bytes that
 * never come; cutting the socket instead makes the client see a truncated download. Counting with a listener keeps
 * the hot path free of an extra stream stage.
 */
async function streamExactly(
  body: Readable,
  res: ServerResponse,
  expected: number,
  progress: { sent: number },
): Promise<void> {
  const done = pipeline(body, res);
  // pipeline() has attached its own listeners synchronously, so no chunk can pass before this one is counted.
  body.on('data', (chunk: Buffer) => {
    progress.sent += chunk.length;
  });
  body.once('end', () => {
    if (progress.sent !== expected) {
      res.destroy(new StoredLengthMismatch(`read ${progress.sent} of ${expected} bytes`));
    }
  });
  await done;
  if (progress.sent !== expected) {
    throw new StoredLengthMismatch(`read ${progress.sent} of ${expected} bytes`);
  }
}

/**
 * A download's bytes: a small object without a Range read whole (one open, read and close, where a stream adds an
 * fstat, its own machinery and pipeline's: bench/README.md, small downloads without a stream), anything else as a
 * stream. Ranges are rare enough to leave to the stream.
 */
function readObject(
  storage: ObjectStorage,
  key: string,
  size: number,
  range: ByteRange | undefined,
): Promise<Buffer | Readable> {
  if (!range && size <= SMALL_READ_MAX && storage.readSmall) {
    return storage.readSmall(key, size);
  }
  return storage.open(key, range, { size });
}

/**
 * Answers with a small object read whole: headers and bytes in one `end`, no stream. Stored bytes of another length
 * fail as a streamed download does, with the headers, the bytes up to one short of the recorded size and a cut
 * connection (the caller's StoredLengthMismatch case): the client never sees a complete answer of the wrong bytes.
 */
async function sendWhole(
  res: ServerResponse,
  headers: Record<string, string | number>,
  content: Buffer,
  expected: number,
  progress: { sent: number },
): Promise<void> {
  if (res.destroyed) {
    // The client left while the bytes were read: the response has closed already and would never finish.
    throw prematureClose();
  }
  res.writeHead(200, headers);
  if (content.length !== expected) {
    const sent = content.subarray(0, Math.min(content.length, expected - 1));
    progress.sent = sent.length;
    // Destroyed at once, the socket would drop what it has not written yet.
    await new Promise<void>((resolve) => res.write(sent, () => resolve()));
    throw new StoredLengthMismatch(
      content.length > expected
        ? `read more than ${expected} bytes`
        : `read ${content.length} of ${expected} bytes`,
    );
  }
  progress.sent = content.length;
  const sent = responseSent(res);
  res.end(content);
  await sent;
}

/** The error `pipeline` fails with when the connection closes before the response has finished. */
function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

/**
 * Resolves once the whole response is handed to the socket, rejects with a premature close (as `pipeline` does)
 * when the connection closes first: the download's outcome is known only then.
 */
function responseSent(res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const onFinish = (): void => {
      res.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      res.off('finish', onFinish);
      reject(prematureClose());
    };
    res.once('finish', onFinish);
    res.once('close', onClose);
  });
}

export interface DownloadRoute {
  project: string;
  oid: string;
}

/**
 * GET (or HEAD) of an object's bytes: authorize (on its grant, or with the API), then send them from storage (a small
 * object read whole, anything else streamed), honouring one Range. A GET ends in one transfer line and the transfer metrics (a HEAD moves no object bytes and is only an access line).
 */
export async function handleDownload(
  route: DownloadRoute,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  deps: TransferDeps,
  record?: RequestRecord,
): Promise<void> {
  const report =
    req.method === 'GET' ? new TransferReport(deps, 'download', route, requestId, record) : undefined;
  const progress = { sent: 0 };
  let releaseDownload: (() => void) | undefined;
  try {
    const authorized = await authorizeDownload(route, req, res, requestId, deps, report);
    if (!authorized) {
      return;
    }
    const { storageKey, size, user } = authorized;
    if (record) {
      record.user = user;
    }
    const requested = parseRange(req.headers.range, size);
    if (requested.kind === 'unsatisfiable') {
      report?.finish('denied', 0, { reason: `416 range not satisfiable (size ${size})` });
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
    if (size === 0) {
      res.writeHead(range ? 206 : 200, headers);
      res.end();
      report?.finish('ok', 0);
      return;
    }
    // Counted from here, so that what is refused has opened nothing; HEAD, 416 and empty objects send no bytes.
    const admission = admitDownload(
      deps.downloads,
      downloaderOf(user, user === undefined ? clientAddress(req, deps.trustedProxyHops) : undefined),
    );
    if ('refused' in admission) {
      const { code, message, reason } = admission.refused;
      report?.finish('denied', 0, { reason });
      sendJsonError(res, code, message, requestId, true, undefined, { retry_after_seconds: 1 });
      return;
    }
    releaseDownload = admission.release;
    const source = await fromStorage('read', undefined, () =>
      readObject(deps.storage, storageKey, size, range),
    );
    // No total time limit, but a client that stops reading for the idle timeout gives its socket back.
    const stopWatching = watchResponse(res, deps.transferIdleMs, () => {
      deps.logger.warn(
        { requestId, oid: route.oid },
        `download cut off: its client read nothing for ${deps.transferIdleMs} ms`,
      );
      res.destroy();
    });
    try {
      if (Buffer.isBuffer(source)) {
        await sendWhole(res, headers, source, size, progress);
      } else {
        res.writeHead(range ? 206 : 200, headers);
        await streamExactly(source, res, Number(headers['Content-Length']), progress);
      }
    } finally {
      stopWatching();
    }
    report?.finish('ok', progress.sent);
  } catch (error) {
    if (error instanceof ApiDenial) {
      report?.finish('denied', 0, { reason: denialReason(error.answer) });
      relayAnswer(req, res, error.answer, requestId);
    } else if (error instanceof ObjectMissingError) {
      report?.finish('storage_error', 0, {
        reason: `integrity: ${route.oid} is linked to ${route.project} but missing from storage`,
      });
      sendJsonError(res, ErrorCode.OBJECT_NOT_FOUND, 'Object does not exist', requestId, true);
    } else if (error instanceof StoredLengthMismatch || error instanceof StoredSizeMismatchError) {
      // Cut, never a complete answer: a client must not take the wrong bytes for the object.
      report?.finish('storage_error', progress.sent, {
        reason: `integrity: stored bytes of ${route.oid} do not match its recorded size (${error.message})`,
      });
      res.destroy();
    } else if (error instanceof StorageFailure) {
      report?.finish('storage_error', 0, { reason: error.message, error: error.cause });
      const { code, message, details } = error.answer();
      sendJsonError(res, code, message, requestId, true, undefined, details);
    } else if ((error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') {
      report?.finish('aborted', progress.sent, { reason: 'the client went away' });
      res.destroy();
    } else if (res.headersSent) {
      report?.finish('storage_error', progress.sent, { error });
      res.destroy();
    } else {
      report?.finish('storage_error', 0, { error });
      sendJsonError(res, ErrorCode.INTERNAL, 'The object could not be read; try again', requestId, true);
    }
  } finally {
    releaseDownload?.();
    // Whatever escaped the cases above still ends the transfer, so the in-flight gauge never drifts.
    report?.finish('storage_error', progress.sent);
  }
}
