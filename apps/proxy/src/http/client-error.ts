import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

import { ErrorCode, errorAnswer, isLfsPath, requestIdFrom } from '@lfs-depot/contracts';
import type { Logger } from '@lfs-depot/observability';

/** What Node's HTTP parser attaches to the errors it reports as `clientError`. */
interface ParserError extends NodeJS.ErrnoException {
  /** Why the parser refused, for people ("Duplicate Content-Length"). */
  reason?: string;
  /** The bytes it was parsing: for a short request, all of it. */
  rawPacket?: Buffer;
}

/** The request target of the start line in `raw`, when the bytes begin with one. */
function requestTarget(raw: Buffer | undefined): string | undefined {
  const line = /^[A-Z]+ (\S+) HTTP\//.exec(raw?.subarray(0, 8192).toString('latin1') ?? '');
  return line?.[1];
}

/** The code and message for a request Node refused before any handler saw it; undefined: nothing to answer. */
function refusal(
  error: ParserError,
  headersTimeoutMs: number,
): { code: ErrorCode; message: string } | undefined {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return {
      code: ErrorCode.REQUEST_TIMEOUT,
      message: `The request headers did not arrive within ${headersTimeoutMs / 1000} s`,
    };
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return {
      code: ErrorCode.HEADERS_TOO_LARGE,
      message: 'The request line and headers are larger than this server reads; send shorter ones',
    };
  }
  if (error.code?.startsWith('HPE_')) {
    return {
      code: ErrorCode.MALFORMED_REQUEST,
      message: `The request is not valid HTTP/1.1 (${error.reason ?? error.code}); nothing of it was handled`,
    };
  }
  // A reset or a broken pipe: nobody is there to read an answer.
  return undefined;
}

/**
 * Answers a request Node's parser refused (two Content-Lengths, Content-Length with Transfer-Encoding, oversize
 * headers, headers that never end) with the JSON error every other refusal carries, instead of Node's bare status
 * line, then closes the connection: what follows the bad bytes cannot be told apart from a next request. Each answer
 * gets an access line like any other request's, so that the request id in its body can be looked up.
 */
export function answerClientError(
  error: ParserError,
  socket: Duplex,
  headersTimeoutMs: number,
  logger: Logger,
): void {
  const decided = refusal(error, headersTimeoutMs);
  // An answer already under way on this connection (a pipelined request's) must not be interleaved with this one.
  const answering =
    (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (!decided || !socket.writable || answering) {
    socket.destroy();
    return;
  }
  const target = requestTarget(error.rawPacket);
  const lfs = target !== undefined && isLfsPath(target.split('?')[0] ?? '/');
  const requestId = requestIdFrom(undefined);
  const { status, headers, body } = errorAnswer({ ...decided, requestId, lfs });
  const payload = JSON.stringify(body);
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    `Content-Length: ${Buffer.byteLength(payload)}`,
    `X-Request-Id: ${requestId}`,
    'Connection: close',
  ].join('\r\n');
  socket.end(`${head}\r\n\r\n${payload}`, () => socket.destroy());
  logger.info(
    {
      request_id: requestId,
      method: null,
      route: 'unparsed',
      status,
      code: decided.code,
      client: (socket as { remoteAddress?: string }).remoteAddress ?? null,
    },
    `request refused before it was parsed: ${status} ${decided.code} (${error.reason ?? error.code ?? 'unknown'})`,
  );
}
