import type { IncomingMessage, ServerResponse } from 'node:http';
import http from 'node:http';

import { signClientAddress } from '@lfs-depot/auth';
import type { MacKey } from '@lfs-depot/auth';
import {
  API_UNREACHABLE_RETRY_AFTER_SECONDS,
  apiUnreachableMessage,
  CLIENT_ADDRESS_HEADER,
  clientAddress,
  ErrorCode,
} from '@lfs-depot/contracts';
import { METRICS_CONTENT_TYPE, renderMerged } from '@lfs-depot/observability';
import type { MetricsSnapshot } from '@lfs-depot/observability';

import { sendJsonError } from './http/json-error.js';
import { keepAliveAgent } from './http/keep-alive-agent.js';
import type { ProxyMetrics } from './metrics.js';

/** Largest metrics answer read from the API (its series are bounded; this is far above them). */
const MAX_API_METRICS_BYTES = 16 * 1024 * 1024;

interface ApiMetricsAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * GET /metrics on the public port: the API's metrics and the proxy's, in one Prometheus exposition. The API decides
 * who may read them (METRICS_TOKEN or the admin token, throttled like admin tokens), so the client's Authorization
 * goes to the API's /metrics, which answers its series as JSON; a refusal is relayed as it came.
 */
export class MetricsEndpoint {
  private readonly target: URL;
  private readonly agent = keepAliveAgent();

  constructor(
    apiUrl: string,
    /** Signs the client's address for the API (INTERNAL_SECRET's client-address key). */
    private readonly clientAddressKey: MacKey,
    private readonly trustedProxyHops: number,
    private readonly metrics: ProxyMetrics,
    /** API_CALL_TIMEOUT_SECONDS: how long the API's metrics may take to arrive whole. */
    private readonly callTimeoutMs: number,
  ) {
    this.target = new URL(apiUrl);
  }

  async serve(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    let answer: ApiMetricsAnswer;
    try {
      answer = await this.askApi(req, requestId);
    } catch (error) {
      sendJsonError(
        res,
        ErrorCode.SERVICE_UNAVAILABLE,
        apiUnreachableMessage((error as NodeJS.ErrnoException).code ?? String(error)),
        requestId,
        false,
        undefined,
        { retry_after_seconds: API_UNREACHABLE_RETRY_AFTER_SECONDS },
      );
      return;
    }
    if (answer.status !== 200) {
      const headers: Record<string, string> = { 'X-Request-Id': requestId };
      for (const name of ['content-type', 'www-authenticate', 'retry-after']) {
        const value = answer.headers[name];
        if (typeof value === 'string') {
          headers[name] = value;
        }
      }
      res.writeHead(answer.status, { ...headers, 'Content-Length': Buffer.byteLength(answer.body) });
      res.end(answer.body);
      return;
    }
    let text: string;
    try {
      text = await renderMerged([
        JSON.parse(answer.body) as MetricsSnapshot,
        await this.metrics.registry.getMetricsAsJSON(),
      ]);
    } catch (error) {
      sendJsonError(
        res,
        ErrorCode.INTERNAL,
        `The metrics could not be merged: ${String(error)}`,
        requestId,
        false,
      );
      return;
    }
    res.writeHead(200, {
      'Content-Type': METRICS_CONTENT_TYPE,
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-store',
      'X-Request-Id': requestId,
    });
    res.end(text);
  }

  close(): void {
    this.agent.destroy();
  }

  private askApi(req: IncomingMessage, requestId: string): Promise<ApiMetricsAnswer> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = {
        accept: 'application/json',
        'x-request-id': requestId,
        // The API counts failed tokens per client address, which it believes only with our signature.
        [CLIENT_ADDRESS_HEADER]: signClientAddress(
          this.clientAddressKey,
          clientAddress(req, this.trustedProxyHops),
        ),
      };
      if (req.headers.authorization !== undefined) {
        headers.authorization = req.headers.authorization;
      }
      const upstream = http.request(
        {
          protocol: this.target.protocol,
          hostname: this.target.hostname,
          port: this.target.port,
          method: 'GET',
          path: '/metrics',
          agent: this.agent,
          headers,
        },
        (answer) => {
          const chunks: Buffer[] = [];
          let length = 0;
          answer.on('data', (chunk: Buffer) => {
            length += chunk.length;
            if (length > MAX_API_METRICS_BYTES) {
              answer.destroy(new Error('the API metrics answer is too large'));
              return;
            }
            chunks.push(chunk);
          });
          answer.on('end', () =>
            resolve({
              status: answer.statusCode ?? 502,
              headers: answer.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          answer.on('error', reject);
        },
      );
      // A wedged API must not hold a scraper's request (and its connection) for ever; destroying the request also
      // keeps its socket out of the pool, where the late answer would meet the next scrape.
      const deadline = setTimeout(
        () => upstream.destroy(new Error(`no answer within ${this.callTimeoutMs / 1000} s`)),
        this.callTimeoutMs,
      );
      upstream.once('close', () => clearTimeout(deadline));
      upstream.on('error', reject);
      upstream.end();
    });
  }
}
