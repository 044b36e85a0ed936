import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import http from 'node:http';

import { signClientAddress } from '@lfs-depot/auth';
import {
  ACTING_USER_HEADER,
  apiUnreachableMessage,
  CLIENT_ADDRESS_HEADER,
  clientAddress,
  ErrorCode,
} from '@lfs-depot/contracts';
import type { RequestRecord } from '@lfs-depot/observability';

import { actingUser } from '../api-client/api.client.js';
import { sendJsonError } from '../http/json-error.js';
import { keepAliveAgent } from '../http/keep-alive-agent.js';

/** Headers that describe one connection, not the message, and so must not be passed along (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function forwardableHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase()),
  );
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !named.has(name)) {
      result[name] = value;
    }
  }
  return result;
}

/**
 * Each forwarded request names the proxies it went through. An API_URL that leads back to a proxy (directly, or
 * through a load balancer) would otherwise forward the same request round and round, each hop holding a socket.
 */
export const VIA_HEADER = 'x-lfs-depot-via';

/** Streams requests that are not object transfers to the API, and its answers back, unchanged. */
export class ApiForwarder {
  private readonly target: URL;
  private readonly agent: http.Agent;
  private readonly id = randomUUID();

  constructor(
    apiUrl: string,
    /** The client-address key derived from INTERNAL_SECRET. */
    private readonly clientAddressKey: Buffer,
    /** TRUSTED_PROXY_HOPS: load balancers in front whose X-Forwarded-For entries name the client. */
    private readonly trustedProxyHops: number,
  ) {
    this.target = new URL(apiUrl);
    this.agent = keepAliveAgent();
  }

  /** `record`: the request's access line, which learns the user the API authenticated. */
  forward(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    lfs: boolean,
    record?: RequestRecord,
  ): void {
    const via = req.headers[VIA_HEADER];
    const hops = typeof via === 'string' ? via.split(',').map((hop) => hop.trim()) : [];
    if (hops.includes(this.id)) {
      sendJsonError(
        res,
        ErrorCode.FORWARDING_LOOP,
        'API_URL leads back to this proxy instead of to the lfs-depot API (a forwarding loop); fix API_URL',
        requestId,
        lfs,
        req,
      );
      return;
    }
    const headers = forwardableHeaders(req.headers);
    headers[VIA_HEADER] = [...hops, this.id].join(', ');
    const remote = req.socket.remoteAddress ?? '';
    const priorFor = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = priorFor ? `${String(priorFor)}, ${remote}` : remote;
    headers['x-forwarded-proto'] ??= 'encrypted' in req.socket ? 'https' : 'http';
    headers['x-forwarded-host'] ??= req.headers.host ?? '';
    headers['x-request-id'] = requestId;
    // The API throttles sign-ins by this address and believes it only with our signature (whatever a client sent
    // under this name is replaced here).
    headers[CLIENT_ADDRESS_HEADER] = signClientAddress(
      this.clientAddressKey,
      clientAddress(req, this.trustedProxyHops),
    );

    const upstream = http.request({
      protocol: this.target.protocol,
      hostname: this.target.hostname,
      port: this.target.port,
      method: req.method,
      path: req.url,
      headers,
      agent: this.agent,
    });
    // A kept-alive socket comes back from the pool with the idle timeout the agent gave it (about 4 s, from the
    // API's Keep-Alive hint); a request in flight, such as a slow client's long upload of a push check, has none.
    upstream.setTimeout(0);
    upstream.on('response', (answer) => {
      const headers = forwardableHeaders(answer.headers);
      // Ours, not the client's: who the API authenticated, for the access line.
      delete headers[ACTING_USER_HEADER];
      if (record) {
        record.user = actingUser(answer.headers[ACTING_USER_HEADER]);
      }
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
      if (record) {
        // Counted beside the pipe, which already reads the answer: a listener more, no stream stage more.
        record.bytesOut = 0;
        answer.on('data', (chunk: Buffer) => {
          record.bytesOut = (record.bytesOut ?? 0) + chunk.length;
        });
      }
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', (error) => {
      if (!res.headersSent) {
        sendJsonError(
          res,
          ErrorCode.SERVICE_UNAVAILABLE,
          apiUnreachableMessage((error as NodeJS.ErrnoException).code ?? error.message),
          requestId,
          lfs,
        );
      } else {
        res.destroy();
      }
    });
    // A client that goes away mid-request must not leave the API waiting for the rest of its body.
    res.on('close', () => {
      if (!res.writableFinished) {
        upstream.destroy();
      }
    });
    req.pipe(upstream);
    if (record) {
      record.bytesIn = 0;
      req.on('data', (chunk: Buffer) => {
        record.bytesIn = (record.bytesIn ?? 0) + chunk.length;
      });
    }
  }

  close(): void {
    this.agent.destroy();
  }
}
