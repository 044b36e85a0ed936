import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import http from 'node:http';

import type { ObjectStorage } from '@lfs-depot/storage';

import { ApiForwarder } from './forward/api-forwarder.js';
import { isLfsPath, matchObjectRoute } from './routes.js';
import type { ObjectRouteHandlers } from './object-route-handlers.js';

export interface ProxyOptions {
  apiUrl: string;
  internalSecret: string;
  storage: ObjectStorage;
  publicUrl: string;
  log?: (message: string) => void;
}

/** The public front door: object bodies are streamed here; every other request is forwarded to the API. */
export class ProxyServer {
  readonly server: http.Server;
  private readonly forwarder: ApiForwarder;

  constructor(
    options: ProxyOptions,
    private readonly objectHandlers?: ObjectRouteHandlers,
  ) {
    this.forwarder = new ApiForwarder(options.apiUrl);
    this.server = http.createServer((req, res) => this.handle(req, res));
    // Uploads of many GiB take long; only idle sockets are timed out.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 60_000;
    this.server.keepAliveTimeout = 65_000;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && /^[\w.-]{8,64}$/.test(given) ? given : randomUUID();
    const route = this.objectHandlers ? matchObjectRoute(req) : undefined;
    if (route && this.objectHandlers) {
      this.objectHandlers.handle(route, req, res, requestId);
      return;
    }
    this.forwarder.forward(req, res, requestId, isLfsPath(req.url));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
    this.forwarder.close();
  }
}
