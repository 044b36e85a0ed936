import type { IncomingMessage, ServerResponse } from 'node:http';

import { DomainError, ErrorCode, formatBytes } from '@lfs-depot/contracts';

const KIB = 1024;
const MIB = 1024 * KIB;

/**
 * Largest JSON body each kind of route reads. Bodies are read only after the route's authentication (and, on LFS
 * routes, after the project is known to be visible), so these bound what a caller who got that far can make us hold.
 */
export const BODY_LIMITS = {
  /** A lock request is a path of at most 4,096 characters and a ref. */
  locks: 16 * KIB,
  /** `{oid, size}`. */
  verify: 16 * KIB,
  /** Users, tokens, projects, members and lfs-authenticate: a few short fields. */
  admin: 64 * KIB,
  /** The proxy's signed authorize and finalize calls. */
  internal: 64 * KIB,
  /** 10,000 paths and 10,000 pointers (MAX_PUSH_CHECK_PATHS / _POINTERS) with their refs. */
  pushCheck: 8 * MIB,
} as const;

/** A batch object is ~100 bytes (`{"oid":"<64 hex>","size":…}`); 256 leaves room for spacing and long sizes. */
const BATCH_BYTES_PER_OBJECT = 256;

/** The batch body limit: 256 KiB for the default MAX_OBJECTS_PER_BATCH of 1,000, never under 16 KiB. */
export function batchBodyLimit(maxObjectsPerBatch: number): number {
  return Math.max(16 * KIB, maxObjectsPerBatch * BATCH_BYTES_PER_OBJECT);
}

/** JSON types we parse: plain and `+json` vendor types such as the Git LFS one. */
const JSON_TYPE = /^application\/(?:json|[^\s;/]+\+json)\s*(?:;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;

/** body-parser's strict mode: a JSON body must be an object or an array (whitespace before it allowed). */
const STARTS_LIKE_OBJECT_OR_ARRAY = /^[ \t\n\r]*[{[]/;

/** The client went away mid-body: there is no one to answer, only a connection to drop. */
export class BodyAbortedError extends Error {
  constructor() {
    super('Request aborted while its body was being read');
  }
}

/** What readJsonBody leaves on the request: the parsed body, and the raw text the proxy's signature covers. */
export interface BodyRequest extends IncomingMessage {
  body?: unknown;
  rawBody?: Buffer;
  [BODY_READ]?: true;
}

const BODY_READ = Symbol('bodyRead');

/** Whether readJsonBody has already run for this request (the internal guard reads before the interceptor). */
export function bodyWasRead(req: IncomingMessage): boolean {
  return (req as BodyRequest)[BODY_READ] === true;
}

export function bodyTooLarge(limit: number): DomainError {
  return new DomainError(ErrorCode.PAYLOAD_TOO_LARGE, `Request body is larger than ${formatBytes(limit)}`);
}

function malformed(): DomainError {
  return new DomainError(ErrorCode.MALFORMED_JSON, 'Request body is not valid JSON');
}

function unsupportedEncoding(): DomainError {
  return new DomainError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Unsupported body encoding');
}

/** A request announces a body by Content-Length (even 0) or Transfer-Encoding, as body-parser's hasBody reads it. */
function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
}

/**
 * Reads and parses a JSON body of at most `limit` bytes, as body-parser's json() did, and sets `req.body` and
 * `req.rawBody`. A Content-Length over the limit is refused before a byte is read, a body that grows past it (chunked)
 * is refused at the limit, and nothing above it is kept. No body, or a body that is not JSON, leaves `req.body`
 * undefined without reading it. Only UTF-8 without a Content-Encoding is accepted: RFC 8259 wants UTF-8, git-lfs
 * sends nothing else, and an inflated body would have to be bounded after decompression, not before.
 *
 * Throws DomainErrors (413, 400, 415) for the error answer, and BodyAbortedError when the client went away.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const request = req as BodyRequest;
  request[BODY_READ] = true;
  const type = req.headers['content-type'];
  if (!hasBody(req) || type === undefined || !JSON_TYPE.test(type)) {
    return undefined;
  }
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    throw unsupportedEncoding();
  }
  const charset = CHARSET.exec(type)?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw unsupportedEncoding();
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    throw bodyTooLarge(limit);
  }
  const buffer = await readBytes(req, limit);
  request.rawBody = buffer;
  let text = buffer.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) {
    text = text.slice(1);
  }
  if (text.length === 0) {
    request.body = {};
    return request.body;
  }
  if (!STARTS_LIKE_OBJECT_OR_ARRAY.test(text)) {
    throw malformed();
  }
  try {
    request.body = JSON.parse(text) as unknown;
  } catch {
    throw malformed();
  }
  return request.body;
}

function readBytes(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (req.destroyed) {
      // Gone while we were authenticating: 'close' has been and will not come again.
      reject(new BodyAbortedError());
      return;
    }
    const chunks: Buffer[] = [];
    let length = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
    };
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length > limit) {
        cleanup();
        // The rest is never read: the answer closes the connection (closeIfBodyUnread).
        req.pause();
        chunks.length = 0;
        reject(bodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, length));
    };
    const onClose = (): void => {
      cleanup();
      reject(new BodyAbortedError());
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
    req.once('error', onClose);
  });
}

/**
 * Unread body that Node may read through and discard after an answer, to keep the connection (the proxy's keep-alive
 * connection to the API, above all): closing it while the proxy still writes a body can turn a clean 4xx into the
 * proxy's 503. Beyond it, or when the length is unknown (chunked), the connection is closed instead.
 */
const DRAIN_LIMIT = MIB;

/**
 * A response written before the request's body has fully arrived (refused unread, or cut off at a limit) closes the
 * connection unless the rest is known to be at most DRAIN_LIMIT: with keep-alive, whatever the client still sends is
 * read through (and discarded) before the next request, and a large or endless rest is not worth reading.
 */
export function closeIfBodyUnread(res: ServerResponse): void {
  const req = res.req as IncomingMessage | undefined;
  if (!req || req.complete || !hasBody(req)) {
    return;
  }
  const declared = Number(req.headers['content-length']);
  if (req.headers['transfer-encoding'] !== undefined || !(declared <= DRAIN_LIMIT)) {
    res.setHeader('Connection', 'close');
  }
}
