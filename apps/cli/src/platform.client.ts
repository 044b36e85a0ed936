import { ApiError, ConnectionError } from './admin.client.js';
import { isError } from './cli.errors.js';
import type { Connection } from './connection.js';

/** One ref's part of a push check request (POST /projects/{path}/push-check). */
export interface PushCheckChange {
  ref: string;
  paths: string[];
  pointers: { oid: string; size: number; paths?: string[] }[];
}

export interface PushCheckAnswer {
  allowed: boolean;
  locked: { path: string; ref: string; owner: string; lock_id: string | number; locked_at: string }[];
  missing: { oid: string; size: number; paths?: string[] }[];
}

/** What `git-lfs-authenticate` prints (git-lfs docs/api/server-discovery.md). */
export interface LfsAuthenticateAnswer {
  href: string;
  header: Record<string, string>;
  expires_in?: number;
  expires_at?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** The admin endpoints a git platform's hooks and SSH server call: push check and lfs-authenticate. */
export class PlatformClient {
  constructor(
    private readonly connection: Connection,
    private readonly timeoutMs: number = DEFAULT_TIMEOUT_MS,
  ) {}

  /** POST /projects/{path}/push-check */
  checkPush(
    project: string,
    body: { username: string; changes: PushCheckChange[] },
  ): Promise<PushCheckAnswer> {
    return this.post<PushCheckAnswer>(`${projectRoute(project)}/push-check`, body);
  }

  /** POST /projects/{path}/lfs-authenticate */
  authenticate(
    project: string,
    body: { username: string; operation: 'upload' | 'download' },
  ): Promise<LfsAuthenticateAnswer> {
    return this.post<LfsAuthenticateAnswer>(`${projectRoute(project)}/lfs-authenticate`, body);
  }

  private async post<T>(route: string, body: unknown): Promise<T> {
    const { baseUrl, token } = this.connection;
    let status: number;
    let text: string;
    try {
      const response = await fetch(`${baseUrl}/api/v1${route}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          'content-type': 'application/json',
          'user-agent': 'lfs-depot-cli',
        },
        body: JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (err) {
      throw new ConnectionError(baseUrl, describeFailure(err, this.timeoutMs));
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (status < 200 || status >= 300) {
      const fields = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
      throw new ApiError(
        typeof fields.message === 'string' && fields.message !== '' ? fields.message : `HTTP ${status}`,
        status,
        typeof fields.code === 'string' ? fields.code : undefined,
        typeof fields.request_id === 'string' ? fields.request_id : undefined,
      );
    }
    if (typeof parsed !== 'object' || parsed === null) {
      throw new ApiError(
        'the server answered with something that is not JSON; is LFS_DEPOT_URL right?',
        status,
      );
    }
    return parsed as T;
  }
}

function projectRoute(project: string): string {
  return `/projects/${encodeURIComponent(project)}`;
}

function describeFailure(err: unknown, timeoutMs: number): string {
  const name = typeof err === 'object' && err !== null && 'name' in err ? err.name : undefined;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return `no answer within ${Math.round(timeoutMs / 1000)}s`;
  }
  const cause = isError(err) && err.cause !== undefined ? err.cause : err;
  if (isError(cause) && 'errors' in cause && Array.isArray(cause.errors)) {
    const first: unknown = cause.errors[0];
    if (isError(first) && first.message !== '') {
      return first.message;
    }
  }
  if (isError(cause)) {
    return cause.message !== '' ? cause.message : typeof cause.code === 'string' ? cause.code : String(cause);
  }
  return String(cause);
}
