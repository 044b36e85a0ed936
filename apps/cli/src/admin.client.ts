import type {
  AdminUnlockView,
  AuditEventView,
  CreatedTokenView,
  CreateProjectRequest,
  CreateTokenRequest,
  CreateUserRequest,
  LockView,
  PlatformTokenView,
  MembershipView,
  MemberView,
  ProjectDetailsView,
  ProjectObjectView,
  ProjectSummaryView,
  ProjectView,
  Role,
  StatisticsView,
  TokenView,
  UpdateProjectRequest,
  UserView,
} from '@lfs-depot/contracts';

import { isError } from './cli.errors.js';
import type { Connection } from './connection.js';

/** The server answered with an error status; message, code and request id come from its JSON body. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
    readonly requestId?: string,
    /** Where the refused token came from (`--token`, `LFS_DEPOT_TOKEN`, a file), set on a 401. */
    readonly tokenSource?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** No HTTP answer at all: refused, unresolvable host, reset, or timed out. */
export class ConnectionError extends Error {
  constructor(
    /** The server base URL that could not be reached. */
    readonly url: string,
    /** Why, in the words of the network layer (`connect ECONNREFUSED 127.0.0.1:8080`). */
    readonly reason: string,
  ) {
    super(`cannot reach ${url} (${reason})`);
    this.name = 'ConnectionError';
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const DEFAULT_TIMEOUT_MS = 30_000;

/** Items asked for per page: the admin API's default page size, within every list route's limit. */
export const PAGE_SIZE = 100;

/** Query parameters of a list route; undefined ones are left out. */
export type ListQuery = Readonly<Record<string, string | undefined>>;

/** Typed calls to the admin API under `<base>/api/v1`, one method per endpoint. */
export class AdminClient {
  constructor(
    private readonly connection: Connection,
    private readonly timeoutMs: number = DEFAULT_TIMEOUT_MS,
  ) {}

  /** POST /users */
  createUser(body: CreateUserRequest): Promise<UserView> {
    return this.json<UserView>('POST', '/users', body);
  }

  /** POST /users/{username}/tokens; the answer holds the only copy of the token. */
  createToken(username: string, body: CreateTokenRequest): Promise<CreatedTokenView> {
    return this.json<CreatedTokenView>('POST', `${userRoute(username)}/tokens`, body);
  }

  /** POST /platform-tokens */
  createPlatformToken(body: {
    name: string;
    projects?: string[];
  }): Promise<{ id: string; name: string; token: string }> {
    return this.json<{ id: string; name: string; token: string }>('POST', '/platform-tokens', body);
  }

  /** POST /projects */
  createProject(body: CreateProjectRequest): Promise<ProjectView> {
    return this.json<ProjectView>('POST', '/projects', body);
  }

  /** GET /projects/{path} */
  getProject(path: string): Promise<ProjectDetailsView> {
    return this.json<ProjectDetailsView>('GET', projectRoute(path));
  }

  /** PATCH /projects/{path} */
  updateProject(path: string, body: UpdateProjectRequest): Promise<ProjectView> {
    return this.json<ProjectView>('PATCH', projectRoute(path), body);
  }

  /** DELETE /projects/{path} */
  async deleteProject(path: string): Promise<void> {
    await this.send('DELETE', projectRoute(path));
  }

  /** PUT /projects/{path}/members/{username}: adds the member or changes their role. */
  setMember(path: string, username: string, role: Role): Promise<MembershipView> {
    return this.json<MembershipView>('PUT', memberRoute(path, username), { role });
  }

  /** DELETE /projects/{path}/members/{username} */
  async removeMember(path: string, username: string): Promise<void> {
    await this.send('DELETE', memberRoute(path, username));
  }

  /** GET /projects/{path}/statistics */
  getStatistics(path: string): Promise<StatisticsView> {
    return this.json<StatisticsView>('GET', `${projectRoute(path)}/statistics`);
  }

  /** GET /users/{username} */
  getUser(username: string): Promise<UserView> {
    return this.json<UserView>('GET', userRoute(username));
  }

  /** GET /platform-tokens, every page (never the tokens themselves). */
  listPlatformTokens(limit?: number): Promise<PlatformTokenView[]> {
    return this.list<PlatformTokenView>('/platform-tokens', 'platform_tokens', {}, limit);
  }

  /** DELETE /platform-tokens/{id} */
  async revokePlatformToken(id: string): Promise<void> {
    await this.send('DELETE', `/platform-tokens/${encodeURIComponent(id)}`);
  }

  /** GET /users?prefix=&admin=, every page (or `limit` users). */
  listUsers(query: ListQuery, limit?: number): Promise<UserView[]> {
    return this.list<UserView>('/users', 'users', query, limit);
  }

  /** PUT /users/{username}/password; null leaves the user token sign-in only. */
  async setPassword(username: string, password: string | null): Promise<void> {
    await this.send('PUT', `${userRoute(username)}/password`, { password });
  }

  /** GET /projects?prefix=&visibility=, every page (or `limit` projects), each with its usage. */
  listProjects(query: ListQuery, limit?: number): Promise<ProjectSummaryView[]> {
    return this.list<ProjectSummaryView>('/projects', 'projects', query, limit);
  }

  /** GET /projects/{path}/members?role=, every page. */
  listMembers(path: string, query: ListQuery, limit?: number): Promise<MemberView[]> {
    return this.list<MemberView>(`${projectRoute(path)}/members`, 'members', query, limit);
  }

  /** GET /projects/{path}/locks?path=&owner=, every page. */
  listLocks(path: string, query: ListQuery, limit?: number): Promise<LockView[]> {
    return this.list<LockView>(`${projectRoute(path)}/locks`, 'locks', query, limit);
  }

  /** DELETE /projects/{path}/locks/{id}: removes the lock whoever holds it. */
  forceUnlock(path: string, id: string): Promise<AdminUnlockView> {
    return this.json<AdminUnlockView>('DELETE', `${projectRoute(path)}/locks/${encodeURIComponent(id)}`);
  }

  /** GET /audit?project=&actor=&action=&since=, newest first, every page (or `limit` events). */
  listAudit(query: ListQuery, limit?: number): Promise<AuditEventView[]> {
    return this.list<AuditEventView>('/audit', 'events', query, limit);
  }

  /** DELETE /users/{username} */
  async deleteUser(username: string): Promise<void> {
    await this.send('DELETE', userRoute(username));
  }

  /** GET /users/{username}/tokens, every page. */
  listTokens(username: string, limit?: number): Promise<TokenView[]> {
    return this.list<TokenView>(`${userRoute(username)}/tokens`, 'tokens', {}, limit);
  }

  /** DELETE /users/{username}/tokens/{id} */
  async revokeToken(username: string, id: string): Promise<void> {
    await this.send('DELETE', `${userRoute(username)}/tokens/${encodeURIComponent(id)}`);
  }

  /** GET /projects/{path}/objects, every page. */
  listObjects(path: string, limit?: number): Promise<ProjectObjectView[]> {
    return this.list<ProjectObjectView>(`${projectRoute(path)}/objects`, 'objects', {}, limit);
  }

  /**
   * The items of a paged list route (`{<key>: [...], next_cursor}`), following next_cursor until it is null or
   * `limit` items are in hand. An answer that is a plain array is taken as the only page.
   */
  protected async list<T>(route: string, key: string, query: ListQuery, limit?: number): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    for (;;) {
      const pageSize = limit === undefined ? PAGE_SIZE : Math.min(PAGE_SIZE, limit - items.length);
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries({ ...query, limit: String(pageSize), cursor })) {
        if (value !== undefined) {
          params.set(name, value);
        }
      }
      const page = await this.json<Record<string, unknown> | T[]>('GET', `${route}?${params.toString()}`);
      if (Array.isArray(page)) {
        return limit === undefined ? page : page.slice(0, limit);
      }
      const found = page[key];
      if (!Array.isArray(found)) {
        throw new ApiError(`the server's answer has no '${key}' list; is LFS_DEPOT_URL right?`, 200);
      }
      items.push(...(found as T[]));
      const next = page['next_cursor'];
      if (typeof next !== 'string' || next === '' || (limit !== undefined && items.length >= limit)) {
        return limit === undefined ? items : items.slice(0, limit);
      }
      cursor = next;
    }
  }

  /** Sends one request and parses its JSON answer; errors become ApiError or ConnectionError. */
  protected async json<T>(method: Method, route: string, body?: unknown): Promise<T> {
    const { status, text } = await this.send(method, route, body);
    try {
      // The admin API is ours and its shapes are the contract; the CLI trusts them rather than re-validating.
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(
        'the server answered with something that is not JSON; is LFS_DEPOT_URL right?',
        status,
      );
    }
  }

  private async send(
    method: Method,
    route: string,
    body?: unknown,
  ): Promise<{ status: number; text: string }> {
    const { baseUrl, token } = this.connection;
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      'user-agent': 'lfs-depot-cli',
    };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
    }
    let status: number;
    let statusText: string;
    let text: string;
    let location: string | null;
    try {
      const response = await fetch(`${baseUrl}/api/v1${route}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // Following a redirect would resend the bearer token wherever it points, or silently drop it.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      statusText = response.statusText;
      location = response.headers.get('location');
      // Read inside the try: a reset while the body streams is as much a connection failure as a refusal.
      text = await response.text();
    } catch (err) {
      throw new ConnectionError(baseUrl, describeNetworkFailure(err, this.timeoutMs));
    }
    if (status >= 300 && status < 400) {
      throw new ApiError(
        `the server redirected to ${location ?? 'an unknown location'}; set LFS_DEPOT_URL to the address it should be`,
        status,
      );
    }
    if (status >= 400) {
      throw toApiError(status, statusText, text, status === 401 ? this.connection.tokenSource : undefined);
    }
    return { status, text };
  }
}

function projectRoute(path: string): string {
  // One path segment: `group/sub/name` travels as `group%2Fsub%2Fname` (README, HTTP API).
  return `/projects/${encodeURIComponent(path)}`;
}

function memberRoute(path: string, username: string): string {
  return `${projectRoute(path)}/members/${encodeURIComponent(username)}`;
}

function userRoute(username: string): string {
  return `/users/${encodeURIComponent(username)}`;
}

function toApiError(status: number, statusText: string, text: string, tokenSource?: string): ApiError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const fallback = statusText === '' ? 'request failed' : statusText;
  if (typeof body !== 'object' || body === null) {
    return new ApiError(fallback, status, undefined, undefined, tokenSource);
  }
  const fields = body as Record<string, unknown>;
  const { message, code, request_id: requestId } = fields;
  // Validation failures may carry a list of messages; show them all on one line.
  const summary =
    typeof message === 'string' && message !== ''
      ? message
      : Array.isArray(message) && message.length > 0
        ? message.map(String).join('; ')
        : fallback;
  return new ApiError(
    summary,
    status,
    typeof code === 'string' ? code : undefined,
    typeof requestId === 'string' ? requestId : undefined,
    tokenSource,
  );
}

function describeNetworkFailure(err: unknown, timeoutMs: number): string {
  // The timeout rejects with a DOMException, which is not a native Error in every realm: match by name.
  const name = typeof err === 'object' && err !== null && 'name' in err ? err.name : undefined;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return `no answer within ${Math.round(timeoutMs / 1000)}s`;
  }
  // fetch wraps the socket error as `TypeError: fetch failed` with the useful part in `cause`; with both IPv4 and
  // IPv6 candidates the cause is an AggregateError whose own message is empty.
  const cause = isError(err) && err.cause !== undefined ? err.cause : err;
  if (isError(cause) && 'errors' in cause && Array.isArray(cause.errors)) {
    const first: unknown = cause.errors[0];
    if (isError(first) && first.message !== '') {
      return first.message;
    }
  }
  if (isError(cause)) {
    if (cause.message !== '') {
      return cause.message;
    }
    if ('code' in cause && typeof cause.code === 'string') {
      return cause.code;
    }
  }
  return String(cause);
}
