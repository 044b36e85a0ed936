import type { IncomingMessage, ServerResponse } from 'node:http';

import type { ObjectRoute } from './routes.js';

/** Serves object transfer routes (upload and download); implemented in upload/ and download/. */
export interface ObjectRouteHandlers {
  handle(route: ObjectRoute, req: IncomingMessage, res: ServerResponse, requestId: string): void;
}
