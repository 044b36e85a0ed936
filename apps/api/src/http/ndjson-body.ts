import type { IncomingMessage } from 'node:http';

import { DomainError, ErrorCode, formatBytes } from '@lfs-depot/contracts';

import { BodyAbortedError } from './json-body.js';

/** Media types of newline-delimited JSON (one JSON value per line). */
const NDJSON_TYPE = /^application\/(?:x-)?ndjson\s*(?:;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;

export interface NdjsonLimits {
  /** Longest line, in bytes, without its newline. */
  maxLineBytes: number;
  /** Most non-blank lines. */
  maxLines: number;
}

/** One parsed line and its number (from 1, blank lines counted), for error messages. */
export interface NdjsonLine {
  value: unknown;
  line: number;
}

const NEWLINE = 0x0a;

/**
 * Reads a newline-delimited JSON body as it arrives, one value per line, holding at most one line (and one chunk)
 * in memory whatever the body's size: the reader of reference lists with millions of lines. It must be called only
 * after the route's authentication, like readJsonBody. Blank lines (and a trailing `\r`) are skipped.
 *
 * Throws 415 for another content type or encoding, 413 for a line over `maxLineBytes` or more than `maxLines` lines,
 * 400 for a line that is not JSON, and BodyAbortedError when the client went away.
 */
export async function* readNdjsonBody(
  req: IncomingMessage,
  limits: NdjsonLimits,
): AsyncGenerator<NdjsonLine, void, undefined> {
  const type = req.headers['content-type'];
  if (type === undefined || !NDJSON_TYPE.test(type)) {
    throw new DomainError(
      ErrorCode.UNSUPPORTED_MEDIA_TYPE,
      'Send the body as newline-delimited JSON with Content-Type: application/x-ndjson',
    );
  }
  const encoding = req.headers['content-encoding'];
  const charset = CHARSET.exec(type)?.[1]?.toLowerCase();
  if (
    (encoding !== undefined && encoding.toLowerCase() !== 'identity') ||
    (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
  ) {
    throw new DomainError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Unsupported body encoding');
  }
  if (req.destroyed) {
    throw new BodyAbortedError();
  }
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let lineNumber = 0;
  let lines = 0;
  const take = (line: Buffer): NdjsonLine | undefined => {
    lineNumber += 1;
    let text = line.toString('utf8');
    if (lineNumber === 1 && text.charCodeAt(0) === 0xfeff) {
      text = text.slice(1);
    }
    if (text.endsWith('\r')) {
      text = text.slice(0, -1);
    }
    if (text.trim() === '') {
      return undefined;
    }
    lines += 1;
    if (lines > limits.maxLines) {
      throw new DomainError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        `The body has more than ${limits.maxLines.toLocaleString('en-US')} lines`,
      );
    }
    try {
      return { value: JSON.parse(text) as unknown, line: lineNumber };
    } catch {
      throw new DomainError(ErrorCode.MALFORMED_JSON, `Line ${lineNumber} is not valid JSON`);
    }
  };
  const tooLong = (): DomainError =>
    new DomainError(
      ErrorCode.PAYLOAD_TOO_LARGE,
      `Line ${lineNumber + 1} is longer than ${formatBytes(limits.maxLineBytes)}`,
    );
  try {
    // Not destroyed when we stop early (a bad line): the error answer still has to go out on this connection.
    for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      let start = 0;
      for (;;) {
        const newline = chunk.indexOf(NEWLINE, start);
        if (newline === -1) {
          break;
        }
        const part = chunk.subarray(start, newline);
        if (pendingLength + part.length > limits.maxLineBytes) {
          throw tooLong();
        }
        const line = pendingLength === 0 ? part : Buffer.concat([...pending, part]);
        pending = [];
        pendingLength = 0;
        const parsed = take(line);
        if (parsed) {
          yield parsed;
        }
        start = newline + 1;
      }
      if (start < chunk.length) {
        const rest = chunk.subarray(start);
        if (pendingLength + rest.length > limits.maxLineBytes) {
          throw tooLong();
        }
        // A copy: the chunk's buffer may be reused.
        pending.push(Buffer.from(rest));
        pendingLength += rest.length;
      }
    }
  } catch (error) {
    if (error instanceof DomainError) {
      throw error;
    }
    throw new BodyAbortedError();
  }
  if (!req.complete) {
    throw new BodyAbortedError();
  }
  if (pendingLength > 0) {
    const parsed = take(Buffer.concat(pending));
    if (parsed) {
      yield parsed;
    }
  }
}
