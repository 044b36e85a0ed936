import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Logger } from 'pino';

import { flatLineLogger } from './logger.js';
import type { HttpMetrics } from './metrics.js';
import type { RouteFamily } from './route-family.js';
import { requestProject, routeFamily } from './route-family.js';

/** What the access line of one request says beyond what the request itself shows; handlers fill it in. */
export interface RequestRecord {
  readonly requestId: string;
  readonly route: RouteFamily;
  /** The response, for whoever must add a header while it is still unsent. */
  readonly response: ServerResponse;
  /** The authenticated user's name (never a name a failed sign-in offered). */
  user?: string;
  project?: string;
  /** Body bytes received and sent, when the handler counted them itself. */
  bytesIn?: number;
  bytesOut?: number;
}

export interface RequestLogOptions {
  logger: Logger;
  metrics?: HttpMetrics;
  /** The client's address as this app determines it (TRUSTED_PROXY_HOPS, the proxy's signature). */
  clientOf: (req: IncomingMessage) => string | undefined;
  /** The authenticated user when no handler named one (a guard that let the user in, then refused). */
  userOf?: (req: IncomingMessage) => string | undefined;
}

/**
 * Where a request carries its record. On the request itself rather than in an AsyncLocalStorage: a store that is set
 * makes every promise created while handling the request carry it (a hook call and a property each), which the
 * batch path paid for on every await (bench/README.md, "Batch rate").
 */
const RECORD = Symbol('lfs-depot.requestRecord');

interface RecordCarrier {
  [RECORD]?: RequestRecord;
}

/** The record `RequestLog.begin` started for `req`, if it did. */
export function requestRecordOf(req: IncomingMessage): RequestRecord | undefined {
  return (req as IncomingMessage & RecordCarrier)[RECORD];
}

function headerNumber(value: number | string | string[] | undefined): number | undefined {
  const number = Number(Array.isArray(value) ? value[0] : value);
  return value === undefined || !Number.isSafeInteger(number) || number < 0 ? undefined : number;
}

/**
 * One access line per request, written when its response closes (finished or cut off), and the request counted in
 * the app's HTTP metrics. The line names the route family, never the URL: a URL may carry anything a client put in.
 */
export class RequestLog {
  /** The access line's logger (flatLineLogger: its fields are all scalars), made once. */
  private readonly lineLogger: Logger;

  constructor(private readonly options: RequestLogOptions) {
    this.lineLogger = flatLineLogger(options.logger);
  }

  /** Starts the record of a request (see requestRecordOf); its line is written once the response closes. */
  begin(req: IncomingMessage, res: ServerResponse, requestId: string): RequestRecord {
    const started = process.hrtime.bigint();
    const { socket } = req;
    const readBefore = socket.bytesRead;
    const writtenBefore = socket.bytesWritten;
    const record: RequestRecord = {
      requestId,
      route: routeFamily(req.method, req.url),
      response: res,
      project: requestProject(req.url),
    };
    (req as IncomingMessage & RecordCarrier)[RECORD] = record;
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.finish(
        req,
        res,
        record,
        seconds,
        socket.bytesRead - readBefore,
        socket.bytesWritten - writtenBefore,
      );
    });
    return record;
  }

  private finish(
    req: IncomingMessage,
    res: ServerResponse,
    record: RequestRecord,
    seconds: number,
    socketRead: number,
    socketWritten: number,
  ): void {
    const complete = res.writableFinished;
    const status = res.headersSent ? res.statusCode : undefined;
    this.options.metrics?.requests.inc({
      route: record.route,
      status: complete && status !== undefined ? String(status) : 'aborted',
    });
    this.options.metrics?.duration.observe({ route: record.route }, seconds);
    const logger = this.lineLogger;
    if (!logger.isLevelEnabled('info')) {
      return;
    }
    const length = headerNumber(req.headers['content-length']);
    const bytesIn =
      record.bytesIn ??
      (length !== undefined && req.complete
        ? length
        : length === undefined && req.headers['transfer-encoding'] === undefined
          ? 0
          : Math.max(0, socketRead));
    const sentLength = headerNumber(res.getHeader('content-length'));
    const bytesOut =
      record.bytesOut ?? (complete && sentLength !== undefined ? sentLength : Math.max(0, socketWritten));
    logger.info(
      {
        request_id: record.requestId,
        method: req.method,
        route: record.route,
        status: status ?? null,
        ...(!complete && { aborted: true }),
        duration_ms: Math.round(seconds * 1e6) / 1e3,
        bytes_in: bytesIn,
        bytes_out: bytesOut,
        user: record.user ?? this.options.userOf?.(req) ?? null,
        project: record.project ?? null,
        client: this.options.clientOf(req) ?? null,
      },
      `${req.method ?? '?'} ${record.route} ${status ?? 'aborted'}`,
    );
  }
}
