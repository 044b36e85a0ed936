import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * `Expect: 100-continue` is answered only once a route starts reading the body (after its credentials and limits),
 * instead of at once as Node does by default. The proxy asks so for every body it forwards but small ones (EAGER_BODY_MAX_BYTES, which the API reads through): a request refused unread
 * (401, 404, 413, ...) then never has its body sent, and Node closes that connection after the answer (nothing of the
 * body is left on it to be taken for the next request). Without it, the API closing a connection while the proxy
 * still sent a large body could reset the connection before the proxy read the answer, which it then replaced with
 * a 503 of its own.
 */
export function continueWhenBodyIsRead(server: Server): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    // Every way of reading (a 'data' listener, pipe, read(), an async iterator) asks the stream's _read for bytes.
    const readable = req as unknown as { _read(size: number): void };
    const read = readable._read.bind(req);
    readable._read = (size: number): void => {
      readable._read = read;
      if (!res.headersSent && !res.writableEnded) {
        res.writeContinue();
      }
      read(size);
    };
    server.emit('request', req, res);
  });
}
