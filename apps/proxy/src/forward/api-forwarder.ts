import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import http from 'node:http';

import { ClientAddressSignatures } from '@lfs-depot/auth';
import {
  ACTING_USER_HEADER,
  API_UNREACHABLE_RETRY_AFTER_SECONDS,
  apiUnreachableMessage,
  CLIENT_ADDRESS_HEADER,
  clientAddress,
  ErrorCode,
} from '@lfs-depot/contracts';
import type { RequestRecord } from '@lfs-depot/observability';

import { actingUser } from '../api-client/api.client.js';
import type { BodyPace } from '../http/body-watch.js';
import { hasRequestBody, watchBody } from '../http/body-watch.js';
import type { InFlightLimits } from '../http/in-flight-limiter.js';
import { InFlightLimiter } from '../http/in-flight-limiter.js';
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

/** Probes that must answer however busy the proxy is: they take no place among the limited requests. */
const PROBE_PATHS = new Set(['/-/health', '/-/readiness']);

/** Connections to the API kept beyond the limited requests' for the probes. */
const PROBE_CONNECTIONS = 16;

/** How long a forwarded body waits for the API's 100 Continue before it is sent anyway. */
const CONTINUE_FALLBACK_MS = 5000;
/**
 * A body of at most this many bytes (by its Content-Length) goes to the API at once instead of after its 100 Continue:
 * the API reads through a refused body of up to 1 MiB to keep its connection, so a small one can never reset the
 * connection before its answer is read, and batches, verifies and locks are spared a round trip each.
 */
export const EAGER_BODY_MAX_BYTES = 64 * 1024;

/** What a client told to come back later waits (Retry-After) when the proxy is full. */
const BUSY_RETRY_AFTER_SECONDS = 1;

/** How the forwarder protects itself: see ProxyConfig (MAX_REQUESTS_IN_FLIGHT…, IDLE_TIMEOUT_SECONDS…). */
export interface ForwarderLimits {
  inFlight: InFlightLimits;
  body: BodyPace;
  /** How long the API may take to begin its answer once the whole request reached it (FORWARD_ANSWER_TIMEOUT_SECONDS). */
  answerTimeoutMs: number;
}

/** Generous enough for any client of ours; the proxy passes the configured ones (ProxyConfig). */
export const DEFAULT_FORWARDER_LIMITS: ForwarderLimits = {
  inFlight: { total: 256, perClient: 64 },
  body: { idleMs: 20_000, minBytesPerSecond: 1024 },
  answerTimeoutMs: 600_000,
};

/** Streams requests that are not object transfers to the API, and its answers back, unchanged. */
export class ApiForwarder {
  private readonly target: URL;
  private readonly agent: http.Agent;
  private readonly id = randomUUID();
  private readonly inFlight: InFlightLimiter;
  private readonly clientAddresses: ClientAddressSignatures;

  constructor(
    apiUrl: string,
    /** The client-address key derived from INTERNAL_SECRET. */
    clientAddressKey: Buffer,
    /** TRUSTED_PROXY_HOPS: load balancers in front whose X-Forwarded-For entries name the client. */
    private readonly trustedProxyHops: number,
    private readonly limits: ForwarderLimits = DEFAULT_FORWARDER_LIMITS,
  ) {
    this.target = new URL(apiUrl);
    this.clientAddresses = new ClientAddressSignatures(clientAddressKey);
    this.inFlight = new InFlightLimiter(limits.inFlight);
    // Every limited request can have its connection, and the probes theirs beside them: none ever waits for one.
    this.agent = keepAliveAgent(limits.inFlight.total + PROBE_CONNECTIONS);
  }

  /** Requests being forwarded now that count against the limits (probes do not). */
  get requestsInFlight(): number {
    return this.inFlight.inFlight;
  }

  /**
   * Forwards one request. `record`: the request's access line, which learns the user the API authenticated.
   * `expectsContinue`: the client sent `Expect: 100-continue` and waits for our go-ahead before its body, which it
   * gets only once the API wants the body. `readBody`: the whole body, when the proxy read it already (a verify it
   * looked at and could not answer itself).
   */
  forward(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    lfs: boolean,
    record?: RequestRecord,
    expectsContinue = false,
    readBody?: Buffer,
  ): void {
    const urlPath = (req.url ?? '/').split('?')[0] ?? '/';
    let release: (() => void) | undefined;
    if (!PROBE_PATHS.has(urlPath)) {
      const client = clientAddress(req, this.trustedProxyHops);
      release = this.inFlight.tryAcquire(client);
      if (!release) {
        const mine = this.inFlight.inFlightFor(client) >= this.limits.inFlight.perClient;
        sendJsonError(
          res,
          ErrorCode.SERVICE_UNAVAILABLE,
          mine
            ? `Too many requests from your address at once (at most ${this.limits.inFlight.perClient}); try again shortly`
            : 'The server is handling as many requests as it can; try again shortly',
          requestId,
          lfs,
          req,
          { retry_after_seconds: BUSY_RETRY_AFTER_SECONDS },
        );
        return;
      }
    }
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
      release?.();
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
    headers[CLIENT_ADDRESS_HEADER] = this.clientAddresses.sign(clientAddress(req, this.trustedProxyHops));
    const withBody = readBody !== undefined || hasRequestBody(req);
    const eager = withBody && (readBody !== undefined || isSmallBody(req));
    if (readBody !== undefined) {
      headers['content-length'] = String(readBody.length);
      delete headers['transfer-encoding'];
    }
    // A larger body goes to the API only once it wants it (see continueWhenBodyIsRead in the API): a body it refuses
    // unread is then never sent, and its answer always reaches the client.
    if (withBody && !eager) {
      headers.expect = '100-continue';
    } else {
      delete headers.expect;
    }

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
    // API's Keep-Alive hint); a request in flight has none: a slow client's body is timed by watchBody instead.
    upstream.setTimeout(0);
    // The place is held as long as the connection to the API is: until the answer has come and the body has gone.
    if (release) {
      upstream.once('close', release);
    }
    let stalled = false;
    let answered = false;
    // An API that took the whole request but does not begin its answer (a blocked event loop, a lock wait) must not
    // hold the client and its place for ever. Timed from the request's end: a body's own pace is watchBody's, and
    // the answer, once begun, may stream as long as it takes (an export).
    let answerDeadline: NodeJS.Timeout | undefined;
    let answerBegun = false;
    upstream.once('finish', () => {
      // An answer that began while the body was still going out (a refusal, a streamed one) is never cut.
      if (answerBegun) {
        return;
      }
      answerDeadline = setTimeout(() => {
        upstream.destroy(new Error(`no answer within ${this.limits.answerTimeoutMs / 1000} s`));
      }, this.limits.answerTimeoutMs);
    });
    upstream.once('close', () => clearTimeout(answerDeadline));
    if (withBody && readBody === undefined) {
      watchBody(req, this.limits.body, (stall) => {
        stalled = true;
        upstream.destroy();
        sendJsonError(
          res,
          ErrorCode.REQUEST_TIMEOUT,
          stall === 'idle'
            ? `The request body stopped arriving (nothing for ${this.limits.body.idleMs / 1000} s)`
            : `The request body arrived too slowly (under ${this.limits.body.minBytesPerSecond} bytes per second)`,
          requestId,
          lfs,
          req,
        );
      });
    }
    // Counted once the body flows into the upstream request: a 'data' listener before would start it too early.
    const countBytesIn = (): void => {
      if (record) {
        record.bytesIn = 0;
        req.on('data', (chunk: Buffer) => {
          record.bytesIn = (record.bytesIn ?? 0) + chunk.length;
        });
      }
    };
    let bodySent = !withBody;
    const sendBody = (): void => {
      if (!bodySent) {
        bodySent = true;
        clearTimeout(continueFallback);
        // A client that waits for 100 Continue itself is told to go on now, when the API is.
        if (expectsContinue) {
          res.writeContinue();
        }
        if (readBody !== undefined) {
          upstream.end(readBody);
          if (record) {
            record.bytesIn = readBody.length;
          }
          return;
        }
        req.pipe(upstream);
        countBytesIn();
      }
    };
    // Something between us and the API that swallows the 100 must not stall the request (RFC 9110, 10.1.1).
    const continueFallback =
      withBody && !eager ? setTimeout(sendBody, CONTINUE_FALLBACK_MS).unref() : undefined;
    upstream.once('continue', sendBody);
    upstream.on('response', (answer) => {
      answerBegun = true;
      clearTimeout(answerDeadline);
      const headers = forwardableHeaders(answer.headers);
      const refusedUnread = !bodySent;
      if (refusedUnread) {
        // Answered without the body: none of it was sent, and what the client sent of it is never read.
        clearTimeout(continueFallback);
        bodySent = true;
      }
      // Answered (a 401, a 413) while the client is still sending: the rest of its body would be taken for its next
      // request on this connection, so the connection ends with the answer, as sendJsonError's does.
      const bodyStillArriving = !req.readableEnded;
      if (bodyStillArriving) {
        headers.connection = 'close';
      }
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
      answer.once('end', () => {
        answered = true;
        // A request the API answered before all of its body went out can never be reused: dropping it gives back
        // its place among the limited requests, which waits for the upstream's close.
        if (refusedUnread || !upstream.writableFinished) {
          req.unpipe(upstream);
          upstream.destroy();
        }
      });
      if (bodyStillArriving) {
        // Once the answer is out, nothing more of the body is read: the socket closes instead of lingering until
        // the body's idle timeout.
        res.once('finish', () => {
          if (!req.readableEnded) {
            req.destroy();
          }
        });
      }
    });
    upstream.on('error', (error) => {
      if (stalled) {
        return;
      }
      if (answered) {
        // The whole answer came (the API may reset a connection whose body it did not want): let it reach the
        // client.
        return;
      }
      if (!res.headersSent) {
        sendJsonError(
          res,
          ErrorCode.SERVICE_UNAVAILABLE,
          apiUnreachableMessage((error as NodeJS.ErrnoException).code ?? error.message),
          requestId,
          lfs,
          req,
          { retry_after_seconds: API_UNREACHABLE_RETRY_AFTER_SECONDS },
        );
      } else {
        res.destroy();
      }
    });
    // A client that goes away mid-request must not leave the API waiting for the rest of its body.
    res.on('close', () => {
      clearTimeout(continueFallback);
      if (!res.writableFinished) {
        upstream.destroy();
      }
    });
    if (eager) {
      sendBody();
    } else if (withBody) {
      // The head goes now; the body once the API said 100 Continue.
      upstream.flushHeaders();
    } else {
      if (expectsContinue) {
        res.writeContinue();
      }
      req.pipe(upstream);
      countBytesIn();
    }
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A body whose declared length is small enough to send without waiting for 100 Continue (chunked ones never are). */
function isSmallBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (
    req.headers['transfer-encoding'] === undefined &&
    length !== undefined &&
    Number(length) <= EAGER_BODY_MAX_BYTES
  );
}
