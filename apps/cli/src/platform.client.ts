import { AdminClient } from './admin.client.js';

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

/**
 * The admin endpoints a git platform's hooks and SSH server call: push check and lfs-authenticate. Same transport,
 * errors and timeouts as the admin commands.
 */
export class PlatformClient extends AdminClient {
  /** POST /projects/{path}/push-check */
  checkPush(
    project: string,
    body: { username: string; changes: PushCheckChange[] },
  ): Promise<PushCheckAnswer> {
    return this.json<PushCheckAnswer>('POST', `${projectRoute(project)}/push-check`, body);
  }

  /** POST /projects/{path}/lfs-authenticate */
  authenticate(
    project: string,
    body: { username: string; operation: 'upload' | 'download' },
  ): Promise<LfsAuthenticateAnswer> {
    return this.json<LfsAuthenticateAnswer>('POST', `${projectRoute(project)}/lfs-authenticate`, body);
  }
}

function projectRoute(project: string): string {
  return `/projects/${encodeURIComponent(project)}`;
}
