import type { IncomingMessage, ServerResponse } from 'node:http';

import { ErrorCode } from '@lfs-depot/contracts';
import type { RequestRecord } from '@lfs-depot/observability';

import { handleDownload } from './download/download.handler.js';
import { sendJsonError } from './http/json-error.js';
import type { ObjectRoute } from './routes.js';
import type { TransferDeps } from './transfer-deps.js';
import { handleUpload } from './upload/upload.handler.js';

/** Serves the object transfer routes (upload and download) straight from and to storage. */
export class ObjectRouteHandlers {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly deps: TransferDeps) {}

  handle(
    route: ObjectRoute,
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    onAuthorized?: () => void,
    record?: RequestRecord,
  ): void {
    const transfer = (): Promise<void> =>
      route.kind === 'upload'
        ? handleUpload(route, req, res, requestId, this.deps, onAuthorized, record)
        : handleDownload(route, req, res, requestId, this.deps, record);
    const guard = this.deps.storageIdentity;
    const done =
      !guard || guard.matched
        ? transfer()
        : guard.problem().then((problem) => {
            if (problem === undefined) {
              return transfer();
            }
            sendJsonError(res, ErrorCode.STORAGE_MISMATCH, problem, requestId, true, req);
            return undefined;
          });
    const settled = done
      .catch((error: unknown) => {
        this.deps.logger.error({ request_id: requestId, err: error }, `unhandled ${route.kind} failure`);
        res.destroy();
      })
      .finally(() => this.running.delete(settled));
    this.running.add(settled);
  }

  /**
   * Resolves once every transfer started so far has finished, finalize included: after it, nothing a failed
   * transfer refrained from doing can still happen (what tests of "never finalized" wait for).
   */
  async settled(): Promise<void> {
    await Promise.all(this.running);
  }
}
