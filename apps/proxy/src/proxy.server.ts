import type { IncomingMessage, ServerResponse } from 'node:http';
import http from 'node:http';
import type net from 'node:net';

import { internalKeys } from '@lfs-depot/auth';
import type { ProxyConfig } from '@lfs-depot/config';
import { closeHttpServer, defaultProxyConfig, SHUTDOWN_GRACE_MS } from '@lfs-depot/config';
import { clientAddress, ErrorCode, isLfsPath, requestIdFrom } from '@lfs-depot/contracts';
import { RequestLog, silentLogger } from '@lfs-depot/observability';
import type { Logger } from '@lfs-depot/observability';
import type { ObjectStorage } from '@lfs-depot/storage';

import { ApiClient } from './api-client/api.client.js';
import { DownloadGrantVerifier } from './auth/download-grant-verifier.js';
import { TransferTokenVerifier } from './auth/transfer-token-verifier.js';
import { ApiForwarder } from './forward/api-forwarder.js';
import { answerClientError } from './http/client-error.js';
import { InFlightLimiter } from './http/in-flight-limiter.js';
import { sendJsonError } from './http/json-error.js';
import { MetricsEndpoint } from './metrics-endpoint.js';
import { ProxyMetrics } from './metrics.js';
import { ObjectRouteHandlers } from './object-route-handlers.js';
import { StorageIdentityGuard } from './storage-identity-guard.js';
import { isInternalApiPath, matchObjectRoute } from './routes.js';
import { UploadRefusals } from './upload/upload-refusals.js';
import { answerVerifyLocally, localVerifyProject, RecentUploads } from './verify/local-verify.js';

export interface ProxyOptions {
  apiUrl: string;
  /** INTERNAL_SECRET: signs the proxy's calls and client addresses. The proxy holds no key that mints credentials. */
  internalSecret: string;
  storage: ObjectStorage;
  /** Where access, transfer and error lines go (none by default). */
  logger?: Logger;
  /** The proxy's metrics, served with the API's at /metrics (a fresh registry by default). */
  metrics?: ProxyMetrics;
  /** TRUSTED_PROXY_HOPS: load balancers in front whose X-Forwarded-For entries are trusted. */
  trustedProxyHops?: number;
  /** Timeouts and in-flight limits (HEADERS_TIMEOUT_SECONDS, MAX_REQUESTS_IN_FLIGHT, …); the defaults otherwise. */
  limits?: Partial<ProxyConfig>;
}

/** The public front door: object bodies are streamed here; every other request is forwarded to the API. */
export class ProxyServer {
  readonly server: http.Server;
  private readonly forwarder: ApiForwarder;
  private readonly api: ApiClient;
  private readonly objects: ObjectRouteHandlers;
  private readonly metricsEndpoint: MetricsEndpoint;
  private readonly requestLog: RequestLog;
  private readonly localVerify: Parameters<typeof answerVerifyLocally>[4];
  readonly metrics: ProxyMetrics;

  constructor(options: ProxyOptions) {
    const logger = options.logger ?? silentLogger('proxy');
    const trustedProxyHops = options.trustedProxyHops ?? 0;
    const keys = internalKeys(options.internalSecret);
    this.metrics = options.metrics ?? new ProxyMetrics();
    const limits: ProxyConfig = { ...defaultProxyConfig(), ...options.limits };
    this.forwarder = new ApiForwarder(options.apiUrl, keys.clientAddress, trustedProxyHops, {
      inFlight: { total: limits.maxRequestsInFlight, perClient: limits.maxRequestsInFlightPerClient },
      body: { idleMs: limits.idleTimeoutMs, minBytesPerSecond: limits.minBodyBytesPerSecond },
      answerTimeoutMs: limits.forwardAnswerTimeoutMs,
    });
    this.api = new ApiClient(options.apiUrl, keys.request, limits.apiCallTimeoutMs);
    const tokens = new TransferTokenVerifier(() => this.api.transferKey(requestIdFrom(undefined)));
    const recent = new RecentUploads();
    this.localVerify = {
      tokens,
      recent,
      bodyPace: { idleMs: limits.idleTimeoutMs, minBytesPerSecond: limits.minBodyBytesPerSecond },
    };
    this.objects = new ObjectRouteHandlers({
      api: this.api,
      storage: options.storage,
      logger,
      transfers: this.metrics.transfers,
      trustedProxyHops,
      transferIdleMs: limits.transferIdleTimeoutMs,
      // Counted per user; the total is bounded by the part buffers and the sockets, not here.
      uploads: new InFlightLimiter({ total: Number.MAX_SAFE_INTEGER, perClient: limits.maxUploadsPerUser }),
      // Per user, and in all: a streamed download holds its read buffers for as long as its client takes to read them.
      downloads: new InFlightLimiter({
        total: limits.maxDownloadsInFlight,
        perClient: limits.maxDownloadsPerUser,
      }),
      tokens,
      refusals: new UploadRefusals(),
      grants: new DownloadGrantVerifier(tokens, (request) =>
        this.api.checkDownloads(request, requestIdFrom(undefined)),
      ),
      onFinalized: (upload) => recent.record(upload),
      storageIdentity: new StorageIdentityGuard(
        options.storage,
        () => this.api.transferKey(requestIdFrom(undefined)),
        logger,
      ),
    });
    this.metricsEndpoint = new MetricsEndpoint(
      options.apiUrl,
      keys.clientAddress,
      trustedProxyHops,
      this.metrics,
      limits.apiCallTimeoutMs,
    );
    this.requestLog = new RequestLog({
      logger,
      metrics: this.metrics.http,
      clientOf: (req) => clientAddress(req, trustedProxyHops),
    });
    this.server = http.createServer(
      // Node checks the headers timeout on this interval (30 s by default, whatever the timeout).
      { connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs) },
      (req, res) => this.handle(req, res, false),
    );
    // `Expect: 100-continue` (curl does it for big bodies): an upload is told to go on only once it is authorized.
    this.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) =>
      this.handle(req, res, true),
    );
    // Any other expectation is one we cannot meet: refused before anything of the request is handled, as JSON.
    this.server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) =>
      this.refuseExpectation(req, res),
    );
    // Uploads of many GiB take long: no total time, but bodies that stop arriving are cut (watchBody), and
    // headers have their own limit.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = limits.headersTimeoutMs;
    this.server.on('clientError', (error: Error, socket) =>
      answerClientError(error, socket, limits.headersTimeoutMs, logger),
    );
    this.server.keepAliveTimeout = 65_000;
  }

  private handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    const record = this.requestLog.begin(req, res, requestId);
    const route = matchObjectRoute(req);
    if (route) {
      this.objects.handle(
        route,
        req,
        res,
        requestId,
        expectsContinue ? () => res.writeContinue() : undefined,
        record,
      );
      return;
    }
    const lfs = isLfsPath((req.url ?? '/').split('?')[0] ?? '/');
    if (isInternalApiPath(req.url)) {
      // The API's internal endpoints are for the proxy's own signed calls; from outside, there is no such route.
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      sendJsonError(
        res,
        ErrorCode.ROUTE_NOT_FOUND,
        `No route for ${req.method} ${path}`,
        requestId,
        lfs,
        req,
      );
      return;
    }
    if (req.method === 'GET' && (req.url ?? '/').split('?')[0] === '/metrics') {
      if (expectsContinue) {
        res.writeContinue();
      }
      void this.metricsEndpoint.serve(req, res, requestId);
      return;
    }
    const verifying = localVerifyProject(req, expectsContinue);
    if (verifying !== undefined) {
      // The verify of an upload this process just finalized is answered here; any other goes to the API.
      answerVerifyLocally(
        verifying,
        req,
        res,
        requestId,
        this.localVerify,
        (body) => this.forwarder.forward(req, res, requestId, true, record, false, body),
        record,
      ).catch(() => res.destroy());
      return;
    }
    this.forwarder.forward(req, res, requestId, lfs, record, expectsContinue);
  }

  private refuseExpectation(req: IncomingMessage, res: ServerResponse): void {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    this.requestLog.begin(req, res, requestId);
    const expectation = String(req.headers.expect).slice(0, 100);
    sendJsonError(
      res,
      ErrorCode.EXPECTATION_FAILED,
      `Expect: ${expectation} cannot be met; the only expectation this server knows is 100-continue`,
      requestId,
      isLfsPath((req.url ?? '/').split('?')[0] ?? '/'),
      req,
    );
  }

  /** Resolves once every upload and download started so far has finished (see ObjectRouteHandlers.settled). */
  transfersSettled(): Promise<void> {
    return this.objects.settled();
  }

  /** Listens on port and host, or on a socket another process already bound (`npm start` with PORT=0). */
  listen(port: number, host: string): Promise<number>;
  listen(bound: net.Server): Promise<number>;
  listen(where: number | net.Server, host?: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      const onListening = (): void => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : Number(where));
      };
      if (typeof where === 'number') {
        this.server.listen(where, host, onListening);
      } else {
        this.server.listen(where, onListening);
      }
    });
  }

  /** Stops accepting connections and waits for the requests under way, at most `graceMs` (closeHttpServer). */
  async close(graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    await closeHttpServer(this.server, graceMs);
    this.forwarder.close();
    this.metricsEndpoint.close();
    this.api.close();
  }
}
