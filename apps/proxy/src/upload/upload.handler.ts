import type { IncomingMessage, ServerResponse } from 'node:http';

import type { UploadFinalizeRequest } from '@lfs-depot/contracts';
import { clientAddress, ErrorCode, LFS_MEDIA_TYPE } from '@lfs-depot/contracts';
import type { RequestRecord } from '@lfs-depot/observability';
import {
  fromStorage,
  ObjectMissingError,
  objectKey,
  StorageFailure,
  StorageVerificationError,
} from '@lfs-depot/storage';

import { ApiDenial } from '../api-client/api.client.js';
import type { LocalGrant } from '../auth/transfer-token-verifier.js';
import { watchBody } from '../http/body-watch.js';
import { sendJsonError } from '../http/json-error.js';
import { relayAnswer } from '../http/relay.js';

import type { TransferDeps } from '../transfer-deps.js';
import { denialReason, TransferReport } from '../transfer-report.js';

export interface UploadRoute {
  project: string;
  oid: string;
  size: number;
}

/**
 * PUT of an object's bytes: authorize (by a transfer token's signature, or else with the API), stream into storage while verifying SHA-256 and size, then
 * finalize so the API links the object. On any failure nothing is linked and storage keeps nothing partial. Each
 * upload ends in one transfer line and the transfer metrics; `record` (the request's access line) learns its user and
 * byte count.
 */
export async function handleUpload(
  route: UploadRoute,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  deps: TransferDeps,
  onAuthorized?: () => void,
  record?: RequestRecord,
): Promise<void> {
  const report = new TransferReport(deps, 'upload', route, requestId, record);
  // Held from the start: once the request is piped through or destroyed, `req.socket` may be gone, and the count is
  // wanted exactly then (in the catch and the finally).
  const socket = req.socket;
  const readBefore = socket.bytesRead;
  /** Bytes of a body that stopped before it was verified: what the socket read meanwhile (headers aside). */
  const bytesReadSoFar = (): number => Math.min(route.size, Math.max(0, socket.bytesRead - readBefore));
  let received = 0;
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) !== route.size) {
    report.finish('size_mismatch', 0, {
      reason: `Content-Length ${declared} is not the object size ${route.size}`,
    });
    sendJsonError(
      res,
      ErrorCode.OBJECT_MISMATCH,
      `Content-Length ${declared} does not match the object size ${route.size} in the upload URL`,
      requestId,
      true,
      req,
    );
    return;
  }
  const controller = new AbortController();
  // The client going away mid-body must stop the write and leave nothing behind.
  req.on('aborted', () => controller.abort());
  res.on('close', () => {
    if (!res.writableFinished) {
      controller.abort();
    }
  });
  // Nor may a body that stops arriving hold its socket and temp file: no total time limit (objects are large and
  // links slow), but no pause longer than the idle timeout once the body is being read.
  let stalled = false;
  const stopWatching = watchBody(req, { idleMs: deps.transferIdleMs }, () => {
    stalled = true;
    controller.abort();
    sendJsonError(
      res,
      ErrorCode.REQUEST_TIMEOUT,
      `The upload stopped arriving (nothing for ${deps.transferIdleMs / 1000} s); nothing was stored`,
      requestId,
      true,
      req,
    );
  });
  let releaseUpload: (() => void) | undefined;
  let grant: LocalGrant | undefined;

  try {
    const client = clientAddress(req, deps.trustedProxyHops);
    // A transfer token the proxy can check itself needs no authorize call: its signature says who the caller is
    // before the body is read, and finalize checks the rest (revocation, membership, quota) before linking.
    grant = await localGrant(route, req.headers.authorization, deps);
    if (grant && deps.refusals?.mustAuthorize({ ...route, token: grant.token })) {
      // Finalize refused this token, project or object lately: the API decides before the body is written again.
      grant = undefined;
    }
    let target: { storageKey: string; alreadyStored: boolean; uploader: string };
    let finalize: UploadFinalizeRequest;
    if (grant && req.headers.authorization !== undefined) {
      report.user = grant.username;
      // Without the API's dedup decision the bytes are always written: hashed and counted as always, and storage
      // replaces a copy atomically, so readers of one already there see it whole either way.
      target = { storageKey: objectKey(route.oid), alreadyStored: false, uploader: grant.userId };
      finalize = {
        project: route.project,
        oid: route.oid,
        size: route.size,
        authorization: req.headers.authorization,
        started_at: Date.now(),
      };
    } else {
      const authorization = await deps.api.authorizeUpload(
        {
          project: route.project,
          oid: route.oid,
          size: route.size,
          authorization: req.headers.authorization,
          client,
        },
        requestId,
      );
      report.user = authorization.user;
      target = authorization;
      finalize = { ticket: authorization.ticket, oid: route.oid, size: route.size, project: route.project };
    }
    if (target.uploader) {
      releaseUpload = deps.uploads.tryAcquire(target.uploader);
      if (!releaseUpload) {
        report.finish('denied', 0, { reason: 'the user has MAX_UPLOADS_PER_USER uploads in progress' });
        sendJsonError(
          res,
          ErrorCode.TOO_MANY_UPLOADS,
          `You have ${deps.uploads.limits.perClient} uploads in progress already (the most at once); try again when one is done`,
          requestId,
          true,
          req,
          { retry_after_seconds: 1 },
        );
        return;
      }
    }
    onAuthorized?.();
    const expected = { oid: route.oid, size: route.size };
    // The API decided whether the bytes are already stored; either way every byte is hashed and counted.
    await fromStorage('store', controller.signal, () =>
      target.alreadyStored
        ? deps.storage.verify(target.storageKey, req, expected, { signal: controller.signal })
        : deps.storage.put(target.storageKey, req, expected, { signal: controller.signal }),
    );
    // Every byte arrived and matched; finalize may still refuse (a quota another upload filled meanwhile, a token
    // revoked since).
    received = route.size;
    await deps.api.finalizeUpload(finalize, requestId);
    if (grant) {
      deps.onFinalized?.({ project: route.project, oid: route.oid, size: route.size, token: grant.token });
    }
    report.finish('ok', route.size);
    res.writeHead(200, { 'Content-Type': LFS_MEDIA_TYPE, 'Content-Length': 0, 'X-Request-Id': requestId });
    res.end();
  } catch (error) {
    if (stalled) {
      // Answered (408) when the body stopped; the abort is what ended the write.
      report.finish('aborted', bytesReadSoFar(), { reason: 'the body stopped arriving' });
      return;
    }
    if (error instanceof ApiDenial) {
      if (grant) {
        // On a token's signature the only call to the API is finalize: this is its refusal, after the write.
        deps.refusals?.learn(
          { project: route.project, oid: route.oid, token: grant.token, tokenExpiresAt: grant.expiresAt },
          error.answer,
        );
      }
      report.finish('denied', received, { reason: denialReason(error.answer) });
      relayAnswer(req, res, error.answer, requestId);
    } else if (error instanceof StorageVerificationError) {
      report.finish(error.reason, error.actual.size, { reason: error.message });
      sendJsonError(res, ErrorCode.OBJECT_MISMATCH, error.message, requestId, true, req);
    } else if (error instanceof ObjectMissingError) {
      report.finish('storage_error', route.size, { reason: 'the stored copy was removed during the upload' });
      // verify() found the stored copy gone (purged since authorize): the client sends the bytes again, and the
      // API, seeing no stored copy, has them written.
      sendJsonError(
        res,
        ErrorCode.SERVICE_UNAVAILABLE,
        'The stored copy of this object was removed during the upload; upload it again',
        requestId,
        true,
        req,
        { retry_after_seconds: 2 },
      );
    } else if (controller.signal.aborted) {
      report.finish('aborted', bytesReadSoFar(), { reason: 'the client went away' });
      res.destroy();
    } else if (error instanceof StorageFailure) {
      report.finish('storage_error', bytesReadSoFar(), { reason: error.message, error: error.cause });
      const { code, message, details } = error.answer();
      sendJsonError(res, code, message, requestId, true, req, details);
    } else {
      report.finish('storage_error', bytesReadSoFar(), { error });
      sendJsonError(
        res,
        ErrorCode.INTERNAL,
        'The upload could not be stored; try again',
        requestId,
        true,
        req,
      );
    }
  } finally {
    stopWatching();
    releaseUpload?.();
    // Whatever escaped the cases above still ends the transfer, so the in-flight gauge never drifts.
    report.finish('storage_error', bytesReadSoFar());
  }
}

/** The grant of a transfer token the proxy checked itself, for an object size the API would accept. */
async function localGrant(
  route: UploadRoute,
  authorization: string | undefined,
  deps: TransferDeps,
): Promise<LocalGrant | undefined> {
  const grant = await deps.tokens?.grant(authorization, route.project, 'write');
  const maxObjectSize = deps.tokens?.maxObjectSize;
  // Too large: authorize refuses it with the API's own message.
  return grant && maxObjectSize !== undefined && route.size <= maxObjectSize ? grant : undefined;
}
