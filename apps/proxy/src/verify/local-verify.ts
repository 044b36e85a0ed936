import type { IncomingMessage, ServerResponse } from 'node:http';

import {
  ErrorCode,
  isLfsMediaType,
  isValidOid,
  isValidSize,
  LFS_MEDIA_TYPE,
  parseLfsPath,
} from '@lfs-depot/contracts';
import type { RequestRecord } from '@lfs-depot/observability';

import type { TransferTokenVerifier } from '../auth/transfer-token-verifier.js';
import type { BodyPace } from '../http/body-watch.js';
import { watchBody } from '../http/body-watch.js';
import { sendJsonError } from '../http/json-error.js';

/** How long after its finalize an upload's verify is answered here: git-lfs sends it right after the PUT. */
export const RECENT_UPLOAD_MS = 10_000;
/** Recent uploads remembered at most; the oldest go first (then their verify is simply forwarded). */
const RECENT_UPLOAD_ENTRIES = 10_000;
/** The API's limit for a verify body (BODY_LIMITS.verify); a larger one is forwarded, for the API to refuse. */
const MAX_VERIFY_BODY_BYTES = 16 * 1024;

/** What the API answers a verify of a linked object with, header for header: a test compares the two. */
export const VERIFIED_BODY = '{}';
const VERIFIED_HEADERS = {
  'Content-Type': `${LFS_MEDIA_TYPE}; charset=utf-8`,
  'Content-Length': '2',
};

/**
 * The uploads this proxy process finalized moments ago, by project, oid, size and the transfer token they were made
 * with: their verify action needs no call to the API, whose finalize just linked them.
 */
export class RecentUploads {
  private readonly entries = new Map<string, number>();
  /** Project and token pairs with any entry, to skip reading the body of every other verify. */
  private readonly tokens = new Map<string, number>();

  constructor(private readonly clock: () => number = Date.now) {}

  record(upload: { project: string; oid: string; size: number; token: string }): void {
    const until = this.clock() + RECENT_UPLOAD_MS;
    const key = `${upload.project}\n${upload.token}`;
    this.entries.delete(`${key}\n${upload.oid}\n${upload.size}`);
    this.entries.set(`${key}\n${upload.oid}\n${upload.size}`, until);
    this.tokens.delete(key);
    this.tokens.set(key, until);
    for (const map of [this.entries, this.tokens]) {
      while (map.size > RECENT_UPLOAD_ENTRIES) {
        const oldest = map.keys().next().value;
        if (oldest === undefined) {
          break;
        }
        map.delete(oldest);
      }
    }
  }

  /** Whether any upload of `project` with `token` is recent. */
  anyFor(project: string, token: string): boolean {
    return this.fresh(this.tokens, `${project}\n${token}`);
  }

  has(project: string, token: string, oid: string, size: number): boolean {
    return this.fresh(this.entries, `${project}\n${token}\n${oid}\n${size}`);
  }

  private fresh(map: Map<string, number>, key: string): boolean {
    const until = map.get(key);
    if (until === undefined) {
      return false;
    }
    if (until <= this.clock()) {
      map.delete(key);
      return false;
    }
    return true;
  }
}

/** The project of a verify request the proxy may answer itself: exactly the shape git-lfs sends, nothing else. */
export function localVerifyProject(req: IncomingMessage, expectsContinue: boolean): string | undefined {
  const url = req.url ?? '/';
  if (req.method !== 'POST' || expectsContinue || url.includes('?')) {
    return undefined;
  }
  const lfs = parseLfsPath(url);
  const length = Number(req.headers['content-length']);
  if (
    lfs?.rest !== '/objects/verify' ||
    !isLfsMediaType(req.headers.accept) ||
    !isLfsMediaType(req.headers['content-type']) ||
    req.headers['transfer-encoding'] !== undefined ||
    !(length > 0 && length <= MAX_VERIFY_BODY_BYTES)
  ) {
    return undefined;
  }
  return lfs.project;
}

/**
 * Answers a verify the way the API would for an upload this process finalized with the same token moments ago, once
 * the token's signature checked out here; `forward` gets the request otherwise, with the body if it was read.
 */
export async function answerVerifyLocally(
  project: string,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  deps: { tokens: TransferTokenVerifier; recent: RecentUploads; bodyPace: BodyPace },
  forward: (body?: Buffer) => void,
  record?: RequestRecord,
): Promise<void> {
  const grant = await deps.tokens.grant(req.headers.authorization, project, 'read');
  if (!grant || !deps.recent.anyFor(project, grant.token)) {
    forward();
    return;
  }
  // Bounded like every forwarded body: a body that stops arriving gets the forwarder's 408.
  let stalled = false;
  const stopWatching = watchBody(req, deps.bodyPace, (stall) => {
    stalled = true;
    sendJsonError(
      res,
      ErrorCode.REQUEST_TIMEOUT,
      stall === 'idle'
        ? `The request body stopped arriving (nothing for ${deps.bodyPace.idleMs / 1000} s)`
        : `The request body arrived too slowly (under ${deps.bodyPace.minBytesPerSecond} bytes per second)`,
      requestId,
      true,
      req,
    );
  });
  const body = await readSmallBody(req, MAX_VERIFY_BODY_BYTES);
  stopWatching();
  if (stalled) {
    return;
  }
  if (!body) {
    // The client went away or sent more than it declared: nothing to answer, as the API would not either.
    res.destroy();
    return;
  }
  const object = parseVerifyBody(body);
  if (!object || !deps.recent.has(project, grant.token, object.oid, object.size)) {
    forward(body);
    return;
  }
  if (record) {
    record.user = grant.username;
    record.bytesIn = body.length;
    record.bytesOut = VERIFIED_BODY.length;
  }
  res.writeHead(200, { ...VERIFIED_HEADERS, 'X-Request-Id': requestId });
  res.end(VERIFIED_BODY);
}

function parseVerifyBody(body: Buffer): { oid: string; size: number } | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null) {
      return undefined;
    }
    const { oid, size } = parsed as Record<string, unknown>;
    return isValidOid(oid) && isValidSize(size) ? { oid, size } : undefined;
  } catch {
    return undefined;
  }
}

/** The whole body of a request that declared at most `limit` bytes; undefined if it broke off or ran past. */
function readSmallBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', () => resolve(undefined));
    req.once('close', () => resolve(req.readableEnded ? Buffer.concat(chunks) : undefined));
  });
}
