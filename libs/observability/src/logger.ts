import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';

import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger } from 'pino';

/** LOG_FORMAT: JSON lines for machines, one readable line per record for people. */
export type LogFormat = 'json' | 'pretty';

/** LOG_LEVEL as configured (`log` is Nest's name for pino's `info`; `info` is accepted too). */
export type LogLevelSetting = 'error' | 'warn' | 'log' | 'info' | 'debug';

/** Which app wrote a line; every line and every metric carries it. */
export type AppName = 'api' | 'proxy';

export interface LoggerOptions {
  app: AppName;
  level: LogLevelSetting;
  /** Unset: JSON unless the destination is a terminal. */
  format?: LogFormat;
  /** Where lines go; standard output by default. */
  destination?: Writable | DestinationStream;
}

/** The format lines are written in: the one asked for, else pretty on a terminal and JSON anywhere else. */
export function resolveLogFormat(format: LogFormat | undefined, isTerminal: boolean): LogFormat {
  return format ?? (isTerminal ? 'pretty' : 'json');
}

/** pino's name for a configured level. */
export function pinoLevel(level: LogLevelSetting): 'error' | 'warn' | 'info' | 'debug' {
  return level === 'log' ? 'info' : level;
}

/**
 * Field paths that never reach a line, whoever logs an object holding them: a last line of defence, since no line
 * of ours logs headers, bodies or URLs with query strings in the first place.
 */
export const REDACTED_PATHS = [
  'authorization',
  'password',
  'token',
  'secret',
  'grant',
  'headers.authorization',
  'headers["x-lfs-depot-grant"]',
  'req.headers["x-lfs-depot-grant"]',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.authorization',
  '*.password',
  '*.token',
  '*.secret',
  '*.grant',
];

/** What a redacted field reads as, on every line. */
const REDACTION_CENSOR = '[redacted]';

/** REDACTED_PATHS less the paths into nested objects: the names redacted at the top of a line. */
const TOP_LEVEL_REDACTED_PATHS = REDACTED_PATHS.filter((path) => !/[.[]/.test(path));

const flatLineLoggers = new WeakMap<Logger, Logger>();

/**
 * `logger` for lines whose fields are all numbers, strings or null, plus an `err` (the access and transfer lines,
 * several per request): REDACTED_PATHS' paths into nested objects cannot match such a line, and checking their
 * wildcards was about three quarters of its cost (bench/README.md), so only the top-level names are redacted. An
 * `err` goes through serializeError, which keeps only what explains the error. One child per logger, made once.
 */
export function flatLineLogger(logger: Logger): Logger {
  let flat = flatLineLoggers.get(logger);
  if (flat === undefined) {
    flat = logger.child({}, { redact: { paths: TOP_LEVEL_REDACTED_PATHS, censor: REDACTION_CENSOR } });
    flatLineLoggers.set(logger, flat);
  }
  return flat;
}

/**
 * The one logger configuration of both apps: pino with ISO times, the app's name on every line, secrets redacted by
 * field name, JSON lines or (on a terminal, or with LOG_FORMAT=pretty) one colourless readable line per record.
 */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? process.stdout;
  const terminal = 'isTTY' in destination && destination.isTTY === true;
  const format = resolveLogFormat(options.format, terminal);
  const stream: DestinationStream =
    format === 'pretty'
      ? loadPinoPretty()({
          colorize: false,
          singleLine: true,
          sync: true,
          translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
          ignore: 'pid,hostname',
          destination,
        })
      : options.destination === undefined
        ? bufferedStandardOutput()
        : destination;
  return pino(
    {
      level: pinoLevel(options.level),
      base: { app: options.app, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: REDACTION_CENSOR },
      formatters: { level: (label) => ({ level: label }) },
      // Only what explains a failure: a driver's error may carry a query's parameters among its own fields.
      serializers: { err: serializeError },
    },
    stream,
  );
}

/** Bytes of lines held before they are written at once within one turn of the event loop (below sonic-boom's maxWrite). */
const LOG_BUFFER_BYTES = 8 * 1024;

/**
 * Standard output for JSON lines through pino's sonic-boom destination, buffered: the lines made during one turn of
 * the event loop (an access line per request, a transfer line per object) go out in one write at its end, instead of
 * one write system call each, and the call that logs never writes. The writes themselves are synchronous, from the
 * main thread: an asynchronous fs.write would wait in libuv's four-thread pool behind the proxy's fsyncs, and one
 * still queued there when the process exits would be lost (sonic-boom's flushSync on exit skips the write in flight).
 * Whatever is still buffered is written on `exit`: a shutdown, a fatal error's process.exit and an uncaught exception
 * all pass there.
 */
function bufferedStandardOutput(): DestinationStream {
  const boom = pino.destination({ dest: 1, sync: true, minLength: LOG_BUFFER_BYTES });
  let scheduled = false;
  const writeBuffered = (): void => {
    scheduled = false;
    boom.flush();
  };
  process.on('exit', () => {
    try {
      boom.flushSync();
    } catch {
      // Standard output is gone (a closed pipe): there is nowhere left to write the lines.
    }
  });
  return {
    write(line: string): void {
      boom.write(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(writeBuffered);
      }
    },
    // pino's logger.flush(cb) lands here.
    flush(callback?: (error?: Error) => void): void {
      scheduled = false;
      boom.flush(callback);
    },
  } as DestinationStream;
}

/**
 * pino-pretty and what it pulls in, loaded only for a readable format: a service writing JSON lines (as every
 * deployment does) does not carry it, about 2 MiB of each app's idle memory. Synchronous, as createLogger is.
 */
function loadPinoPretty(): typeof PinoPretty {
  return createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
}

/** An error as a line shows it: its class, code, message and stack, none of the fields a library hung on it. */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) {
    return { message: String(error) };
  }
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    message: error.message,
    ...(typeof code === 'string' && { code }),
    stack: error.stack,
  };
}

/** A logger that writes nothing (tests, and apps built without one). */
export function silentLogger(app: AppName): Logger {
  return pino({ level: 'silent', base: { app } });
}
