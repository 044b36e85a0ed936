import type { IncomingMessage, ServerResponse } from 'node:http';

import { clientAddress, ErrorCode, LFS_MEDIA_TYPE } from '@lfs-depot/contracts';
import { ObjectMissingError, StorageVerificationError } from '@lfs-depot/storage';

import { ApiDenial } from '../api-client/api.client.js';
import { sendJsonError } from '../http/json-error.js';
import { relayAnswer } from '../http/relay.js';
import type { TransferDeps } from '../transfer-deps.js';

export interface UploadRoute {
  project: string;
  oid: string;
  size: number;
}

/**
 * PUT of an object's bytes: authorize with the API, stream into storage while verifying SHA-256 and size, then
 * finalize so the API links the object. On any failure nothing is linked and storage keeps nothing partial.
 */
export async function handleUpload(
  route: UploadRoute,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  deps: TransferDeps,
  onAuthorized?: () => void,
): Promise<void> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) !== route.size) {
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

  try {
    const authorization = await deps.api.authorizeUpload(
      {
        project: route.project,
        oid: route.oid,
        size: route.size,
        authorization: req.headers.authorization,
        client: clientAddress(req, deps.trustedProxyHops),
      },
      requestId,
    );
    onAuthorized?.();
    const expected = { oid: route.oid, size: route.size };
    // The API decided whether the bytes are already stored; either way every byte is hashed and counted.
    if (authorization.alreadyStored) {
      await deps.storage.verify(authorization.storageKey, req, expected, { signal: controller.signal });
    } else {
      await deps.storage.put(authorization.storageKey, req, expected, { signal: controller.signal });
    }
    await deps.api.finalizeUpload(
      { ticket: authorization.ticket, oid: route.oid, size: route.size },
      requestId,
    );
    res.writeHead(200, { 'Content-Type': LFS_MEDIA_TYPE, 'Content-Length': 0, 'X-Request-Id': requestId });
    res.end();
  } catch (error) {
    if (error instanceof ApiDenial) {
      relayAnswer(req, res, error.answer, requestId);
    } else if (error instanceof StorageVerificationError) {
      sendJsonError(res, ErrorCode.OBJECT_MISMATCH, error.message, requestId, true, req);
    } else if (error instanceof ObjectMissingError) {
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
      res.destroy();
    } else {
      deps.log(
        `upload ${route.oid} to ${route.project} failed [${requestId}]: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      sendJsonError(res, ErrorCode.INTERNAL, 'The upload could not be stored; try again', requestId, true);
    }
  }
}
