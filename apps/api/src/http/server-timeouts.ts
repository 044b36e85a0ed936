import type { IncomingMessage, Server } from 'node:http';

export interface ApiServerTimeouts {
  /** Most time a request's headers may take to arrive. */
  headersTimeoutMs: number;
  /** Longest a body being read may go without a byte arriving before the connection is dropped. */
  bodyIdleTimeoutMs: number;
  /** How long an idle kept-alive connection is held between requests. */
  keepAliveTimeoutMs: number;
}

/**
 * Gives the API's listener limits that only a stalled peer can reach. There is no total time for a request: a
 * project import or a references sync streams its body for as long as it takes, and an export or a push check may
 * work for minutes before the answer's first byte. Instead a body whose bytes stop arriving while the API waits for
 * them (a hung proxy, a peer gone without a FIN) is cut after `bodyIdleTimeoutMs`; time the API itself spends not
 * reading (guards, a slow storage write holding the body back, work after the body) never counts.
 */
export function applyServerTimeouts(server: Server, timeouts: ApiServerTimeouts): void {
  // Node's total request time (5 minutes by default) would cut long imports: the body idle check stands in for it.
  server.requestTimeout = 0;
  server.headersTimeout = timeouts.headersTimeoutMs;
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
  server.on('request', (req: IncomingMessage) => {
    if (hasBody(req)) {
      watchBodyIdle(req, timeouts.bodyIdleTimeoutMs);
    }
  });
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function watchBodyIdle(req: IncomingMessage, idleMs: number): void {
  const socket = req.socket;
  const tickMs = Math.max(10, Math.min(1000, Math.floor(idleMs / 4)));
  let lastBytesRead = socket.bytesRead;
  let idleSince = Date.now();
  const timer = setInterval(() => {
    if (req.complete || req.destroyed || socket.destroyed) {
      clearInterval(timer);
      return;
    }
    // The peer is the one holding things up only when someone reads the body (readableFlowing is null until a
    // consumer attaches; a 100 Continue goes out only then) and nothing it sent waits unread in the buffer.
    const waitingForPeer =
      req.readableFlowing !== null && req.readableLength === 0 && socket.bytesRead === lastBytesRead;
    if (!waitingForPeer) {
      lastBytesRead = socket.bytesRead;
      idleSince = Date.now();
      return;
    }
    if (Date.now() - idleSince >= idleMs) {
      clearInterval(timer);
      socket.destroy(
        new Error(`The request body stopped arriving (nothing for ${idleMs / 1000} s); connection closed`),
      );
    }
  }, tickMs);
  timer.unref();
  req.once('close', () => clearInterval(timer));
}
