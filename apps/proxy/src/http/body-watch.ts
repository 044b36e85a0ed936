import type { IncomingMessage, ServerResponse } from 'node:http';

/** How a request body must keep arriving. */
export interface BodyPace {
  /** Longest the body may pause between bytes. */
  idleMs: number;
  /**
   * The average rate the body must keep, in bytes per second, after an allowance of `idleMs` (as Apache's
   * mod_reqtimeout MinRate: each byte received buys 1/rate seconds more); undefined for none.
   */
  minBytesPerSecond?: number;
}

/** Why a body was given up on: it paused longer than idleMs, or it fell below the minimum rate. */
export type BodyStall = 'idle' | 'slow';

/**
 * Calls `onStall` once if the client stops sending `req`'s body, or sends it slower than `pace` allows. Only the
 * client's stalls count: while the body is not being read (no consumer yet, such as an upload waiting for its
 * authorization, or a consumer that paused it for backpressure) the clock stands still. Bytes are counted from the
 * socket, so watching adds no 'data' listener and never starts the body flowing. Watching stops when the body is
 * complete, when the request closes, or when the returned function is called.
 */
export function watchBody(
  req: IncomingMessage,
  pace: BodyPace,
  onStall: (stall: BodyStall) => void,
): () => void {
  const socket = req.socket;
  const started = Date.now();
  const bytesAtStart = socket.bytesRead;
  let bytesSeen = bytesAtStart;
  let lastProgress = started;
  /** Time the body was not being read, which the minimum rate does not count. */
  let heldMs = 0;
  let heldSince: number | undefined = req.readableFlowing === true ? undefined : started;
  const step = Math.max(10, Math.min(Math.floor(pace.idleMs / 4), 1000));
  let timer: NodeJS.Timeout | undefined;

  const onPause = (): void => {
    heldSince ??= Date.now();
  };
  const onResume = (): void => {
    if (heldSince !== undefined) {
      const now = Date.now();
      heldMs += now - heldSince;
      lastProgress = Math.max(lastProgress, now);
      heldSince = undefined;
    }
  };
  const stop = (): void => {
    clearTimeout(timer);
    timer = undefined;
    req.off('pause', onPause);
    req.off('resume', onResume);
    req.off('close', stop);
    req.off('end', stop);
  };
  const check = (): void => {
    if (req.complete || req.destroyed) {
      stop();
      return;
    }
    const now = Date.now();
    const bytes = socket.bytesRead;
    if (bytes > bytesSeen || heldSince !== undefined || req.readableLength > 0) {
      // Progress, or the wait is ours (nothing is reading the bytes the client sent).
      bytesSeen = bytes;
      lastProgress = now;
    }
    const held = heldMs + (heldSince === undefined ? 0 : now - heldSince);
    let stall: BodyStall | undefined;
    if (now - lastProgress >= pace.idleMs) {
      stall = 'idle';
    } else if (
      pace.minBytesPerSecond !== undefined &&
      now - started - held > pace.idleMs + ((bytes - bytesAtStart) / pace.minBytesPerSecond) * 1000
    ) {
      stall = 'slow';
    }
    if (stall !== undefined) {
      stop();
      onStall(stall);
      return;
    }
    timer = setTimeout(check, step);
    timer.unref();
  };

  req.on('pause', onPause);
  req.on('resume', onResume);
  req.once('close', stop);
  req.once('end', stop);
  timer = setTimeout(check, step);
  timer.unref();
  return stop;
}

/** Whether a request announces a body (a Content-Length above zero, or chunked). */
export function hasRequestBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) > 0);
}

/**
 * Calls `onStall` once if no byte of `res`'s body gets out for `idleMs`: a download whose client stopped reading
 * (its socket buffers full, our stream held by backpressure). Stops when the response closes or when the returned
 * function is called.
 */
export function watchResponse(res: ServerResponse, idleMs: number, onStall: () => void): () => void {
  const socket = res.socket;
  if (!socket) {
    return () => undefined;
  }
  let bytesSeen = socket.bytesWritten;
  let lastProgress = Date.now();
  const step = Math.max(10, Math.min(Math.floor(idleMs / 4), 1000));
  let timer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    clearTimeout(timer);
    timer = undefined;
    res.off('close', stop);
  };
  const check = (): void => {
    const now = Date.now();
    const bytes = socket.bytesWritten;
    if (bytes > bytesSeen) {
      bytesSeen = bytes;
      lastProgress = now;
    }
    if (now - lastProgress >= idleMs) {
      stop();
      onStall();
      return;
    }
    timer = setTimeout(check, step);
    timer.unref();
  };
  res.once('close', stop);
  timer = setTimeout(check, step);
  timer.unref();
  return stop;
}
