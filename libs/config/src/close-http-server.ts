import type { Server } from 'node:http';

/** How long a stopping server waits for the requests under way, as a SIGTERM grace period allows. */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Stops accepting connections, closes the idle ones and waits for the requests under way, but at most `graceMs`: then
 * every connection still open is closed, so a peer that never finishes its request (or never reads our answer)
 * cannot hold a shutdown, or a test's teardown, for ever. Resolves at once for a server that is not listening.
 */
export function closeHttpServer(server: Server, graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
  if (!server.listening) {
    server.closeAllConnections();
    return Promise.resolve();
  }
  return new Promise<void>((resolve) => {
    const cutOff = setTimeout(() => server.closeAllConnections(), graceMs);
    cutOff.unref();
    server.close(() => {
      clearTimeout(cutOff);
      resolve();
    });
    server.closeIdleConnections();
  });
}
