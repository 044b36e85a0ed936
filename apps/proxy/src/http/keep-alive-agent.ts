import http from 'node:http';

/**
 * Upper bound on how long an idle connection to the API is kept. It also makes Node's agent honour the server's
 * `Keep-Alive: timeout=N` hint (closing a second before the API would): without an agent timeout the hint is
 * ignored, idle connections live until the API closes them, and a request sent just as it does fails with
 * ECONNRESET (seen as 502s on finalize after long uploads).
 */
const IDLE_TIMEOUT_MS = 60_000;

/**
 * The kept-alive connection pool for calls from the proxy to the API (Nagle off: Node's agent defaults to noDelay),
 * of at most `maxSockets` connections at once.
 */
export function keepAliveAgent(maxSockets = 256): http.Agent {
  return new http.Agent({
    keepAlive: true,
    maxSockets,
    keepAliveMsecs: 10_000,
    timeout: IDLE_TIMEOUT_MS,
  });
}
