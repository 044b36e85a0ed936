import http from 'node:http';

import { signInternalRequest } from '@lfs-depot/auth';
import type {
  DownloadAuthorization,
  DownloadCheckAnswer,
  DownloadCheckRequest,
  TransferAuthorizeRequest,
  TransferKeyAnswer,
  UploadAuthorization,
  UploadFinalizeRequest,
} from '@lfs-depot/contracts';
import {
  ACTING_USER_HEADER,
  API_UNREACHABLE_RETRY_AFTER_SECONDS,
  apiUnreachableMessage,
  ErrorCode,
  errorAnswer,
  INTERNAL_AUTHORIZE_MEDIA_TYPE,
  INTERNAL_PATHS,
  INTERNAL_SIGNATURE_HEADER,
} from '@lfs-depot/contracts';

import { keepAliveAgent } from '../http/keep-alive-agent.js';

/** Largest API answer the proxy reads: authorizations and errors are small; anything bigger is a fault. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** An answer from the API, kept verbatim so that denials can be relayed to the client unchanged. */
export interface ApiAnswer {
  status: number;
  contentType: string;
  body: string;
  /** The API's Retry-After (503 while its database is away, 429), which the client must see too. */
  retryAfter?: string;
  /** The user the API authenticated, for the proxy's access line (never relayed). */
  user?: string;
}

/** An authorization, and the user it was given to (undefined: anonymous). */
export type Authorized<T> = T & { user?: string };

/** The user the API names in an answer's ACTING_USER_HEADER. */
export function actingUser(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string') {
    return undefined;
  }
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** The API said no (or could not be asked); `answer` is what the client should receive. */
export class ApiDenial extends Error {
  constructor(readonly answer: ApiAnswer) {
    super(`API answered ${answer.status}`);
    this.name = 'ApiDenial';
  }
}

/**
 * What the client of a transfer route is told when the API cannot be asked, or gave no usable answer: the forwarder's
 * answer, as a denial. `reason` names what happened (an errno code, a timeout).
 */
function unreachableAnswer(reason: string, requestId: string): ApiAnswer {
  const { status, headers, body } = errorAnswer({
    code: ErrorCode.SERVICE_UNAVAILABLE,
    message: apiUnreachableMessage(reason),
    requestId,
    lfs: true,
    details: { retry_after_seconds: API_UNREACHABLE_RETRY_AFTER_SECONDS },
  });
  return {
    status,
    contentType: headers['Content-Type'] ?? '',
    body: JSON.stringify(body),
    retryAfter: headers['Retry-After'],
  };
}

function errorReason(error: NodeJS.ErrnoException): string {
  return error.code ?? error.message;
}

/**
 * A call failed on a kept-alive connection the API was closing. The API may or may not have handled it; internal
 * calls are idempotent, so they can be sent again.
 */
class StaleSocketError extends Error {
  constructor(cause: NodeJS.ErrnoException) {
    super(`kept-alive connection to the API was closed (${cause.code ?? cause.message})`, { cause });
  }
}

/** API_CALL_TIMEOUT_SECONDS's default, for clients built without a configuration (tests). */
export const DEFAULT_API_CALL_TIMEOUT_MS = 30_000;

/** Signed calls from the proxy to the API's internal endpoints. */
export class ApiClient {
  private readonly target: URL;
  private readonly agent = keepAliveAgent();

  constructor(
    apiUrl: string,
    /** The internal request key derived from INTERNAL_SECRET. */
    private readonly requestKey: Buffer,
    /** API_CALL_TIMEOUT_SECONDS: how long one call may take to be answered whole. */
    private readonly callTimeoutMs = DEFAULT_API_CALL_TIMEOUT_MS,
  ) {
    this.target = new URL(apiUrl);
  }

  async authorizeUpload(
    request: TransferAuthorizeRequest,
    requestId: string,
  ): Promise<Authorized<UploadAuthorization>> {
    return this.expectAuthorization<UploadAuthorization>(
      await this.post(INTERNAL_PATHS.authorizeUpload, request, requestId),
    );
  }

  async authorizeDownload(
    request: Omit<TransferAuthorizeRequest, 'size'>,
    requestId: string,
  ): Promise<Authorized<DownloadAuthorization>> {
    return this.expectAuthorization<DownloadAuthorization>(
      await this.post(INTERNAL_PATHS.authorizeDownload, request, requestId),
    );
  }

  /** Re-checks the credentials the proxy serves grant downloads on (ApiDenial when the API refuses them). */
  async checkDownloads(
    request: DownloadCheckRequest,
    requestId: string,
  ): Promise<Authorized<DownloadCheckAnswer>> {
    return this.expectAuthorization<DownloadCheckAnswer>(
      await this.post(INTERNAL_PATHS.checkDownloads, request, requestId),
    );
  }

  /** The public key that transfer tokens are signed with; undefined when the API could not give it. */
  async transferKey(requestId: string): Promise<TransferKeyAnswer | undefined> {
    const answer = await this.post(INTERNAL_PATHS.transferKey, {}, requestId);
    if (answer.status !== 200 || !answer.contentType.startsWith(INTERNAL_AUTHORIZE_MEDIA_TYPE)) {
      return undefined;
    }
    return JSON.parse(answer.body) as TransferKeyAnswer;
  }

  async finalizeUpload(request: UploadFinalizeRequest, requestId: string): Promise<void> {
    const answer = await this.post(INTERNAL_PATHS.finalizeUpload, request, requestId);
    if (answer.status !== 200) {
      throw new ApiDenial(answer);
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private expectAuthorization<T>(answer: ApiAnswer): Authorized<T> {
    // The vendor media type tells a real authorization from an error page relayed by something in between.
    if (answer.status !== 200 || !answer.contentType.startsWith(INTERNAL_AUTHORIZE_MEDIA_TYPE)) {
      throw new ApiDenial(answer);
    }
    return { ...(JSON.parse(answer.body) as T), user: answer.user };
  }

  private async post(path: string, payload: unknown, requestId: string): Promise<ApiAnswer> {
    const body = JSON.stringify(payload);
    try {
      return await this.send(path, body, requestId);
    } catch (error) {
      if (!(error instanceof StaleSocketError)) {
        throw error;
      }
      // The API closed an idle kept-alive connection just as this call went out on it. Internal calls are
      // idempotent (authorize reads; finalize links at most once), so one retry is safe.
      return this.send(path, body, requestId).catch((retryError: unknown) => {
        if (retryError instanceof StaleSocketError) {
          return unreachableAnswer(errorReason(retryError.cause as NodeJS.ErrnoException), requestId);
        }
        throw retryError;
      });
    }
  }

  /**
   * One call. Every way it can end resolves to an answer, except a stale kept-alive socket (StaleSocketError, which
   * post() retries): an API that never answers, dies mid-answer or answers too much is SERVICE_UNAVAILABLE like one
   * that cannot be reached, so transfers relay a 503 with Retry-After, which git-lfs retries, never a proxy 500.
   */
  private send(path: string, body: string, requestId: string): Promise<ApiAnswer> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (outcome: ApiAnswer | StaleSocketError): void => {
        if (settled) {
          return;
        }
        settled = true;
        clearTimeout(deadline);
        if (outcome instanceof StaleSocketError) {
          reject(outcome);
        } else {
          resolve(outcome);
        }
      };
      /** Gives the call up: destroying the request closes its socket, so the agent never hands it out again. */
      const giveUp = (reason: string): void => {
        settle(unreachableAnswer(reason, requestId));
        req.destroy();
      };
      const req = http.request(
        {
          protocol: this.target.protocol,
          hostname: this.target.hostname,
          port: this.target.port,
          method: 'POST',
          path,
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'x-request-id': requestId,
            [INTERNAL_SIGNATURE_HEADER]: signInternalRequest(this.requestKey, 'POST', path, body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let length = 0;
          res.on('data', (chunk: Buffer) => {
            length += chunk.length;
            if (length > MAX_ANSWER_BYTES) {
              giveUp(`an answer larger than ${MAX_ANSWER_BYTES} bytes`);
              return;
            }
            chunks.push(chunk);
          });
          const retryAfter = res.headers['retry-after'];
          res.on('end', () =>
            settle({
              status: res.statusCode ?? 502,
              contentType: String(res.headers['content-type'] ?? ''),
              body: Buffer.concat(chunks).toString('utf8'),
              ...(retryAfter === undefined ? {} : { retryAfter }),
              user: actingUser(res.headers[ACTING_USER_HEADER]),
            }),
          );
          // The connection closed before the answer was whole: what came of it cannot be trusted to be all of it.
          res.on('error', (error: NodeJS.ErrnoException) =>
            giveUp(`answer cut short: ${errorReason(error)}`),
          );
          res.on('close', () => {
            if (!res.complete) {
              giveUp('answer cut short');
            }
          });
        },
      );
      // An API that took the connection but does not answer (a blocked event loop, a lock wait) must not hold the
      // client for ever: a deadline on the whole call, answer included.
      const deadline = setTimeout(
        () => giveUp(`no answer within ${this.callTimeoutMs / 1000} s`),
        this.callTimeoutMs,
      );
      // Not reaching the API is an answer too: SERVICE_UNAVAILABLE like the forwarder's, so that transfers, which
      // relay the answer as a denial, say the same thing as every other route instead of failing as a proxy 500.
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) {
          settle(new StaleSocketError(error));
        } else {
          settle(unreachableAnswer(errorReason(error), requestId));
        }
      });
      req.end(body);
    });
  }
}
