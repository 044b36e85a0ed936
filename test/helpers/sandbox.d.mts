// Types of sandbox.mjs for the TypeScript specs.

export interface GitEnvironmentOptions {
  /** Author and committer name; 'Test' unless given. */
  name?: string;
  email?: string;
  /** Whether the global config installs git-lfs (filter, no credential helper); true unless given. */
  lfs?: boolean;
}

export function sandboxGitEnvironment(
  home: string,
  options?: GitEnvironmentOptions,
): Promise<Record<string, string | undefined>>;

export interface GitResult {
  stdout: string;
  stderr: string;
}

export function git(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<GitResult>;

export function lfsUrl(
  baseUrl: string,
  project: string,
  credentials?: { username: string; password: string },
): string;

export interface AdminAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> | undefined;
}

export interface AdminClient {
  call(method: string, urlPath: string, body?: unknown): Promise<AdminAnswer>;
  /** `call`, resolving to the body; rejects unless the status is 2xx. */
  ok(method: string, urlPath: string, body?: unknown): Promise<Record<string, unknown> | undefined>;
  createUser(username: string, password?: string, admin?: boolean): Promise<AdminAnswer>;
  createToken(username: string, name?: string, expiresAt?: string): Promise<AdminAnswer>;
  createProject(
    projectPath: string,
    visibility?: 'private' | 'public',
    quotaBytes?: number | null,
  ): Promise<AdminAnswer>;
  setMember(projectPath: string, username: string, role: string): Promise<AdminAnswer>;
  statistics(projectPath: string): Promise<AdminAnswer>;
}

export function adminClient(
  baseUrl: string,
  token: string,
  options?: { headers?: Record<string, string> },
): AdminClient;

export function withoutProductVariables(
  env: Record<string, string | undefined>,
): Record<string, string | undefined>;
