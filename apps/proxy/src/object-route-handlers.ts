import type { IncomingMessage, ServerResponse } from 'node:http';

import { handleDownload } from './download/download.handler.js';
import type { ObjectRoute } from './routes.js';
import type { TransferDeps } from './transfer-deps.js';
import { handleUpload } from './upload/upload.handler.js';

/** Serves the object transfer routes (upload and download) straight from and to storage. */
export class ObjectRouteHandlers {
  constructor(private readonly deps: TransferDeps) {}

  handle(
    route: ObjectRoute,
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    onAuthorized?: () => void,
  ): void {
    const done =
      route.kind === 'upload'
        ? handleUpload(route, req, res, requestId, this.deps, onAuthorized)
        : handleDownload(route, req, res, requestId, this.deps);
    done.catch((error: unknown) => {
      this.deps.log(`unhandled ${route.kind} failure [${requestId}]: ${String(error)}`);
      res.destroy();
    });
  }
}
