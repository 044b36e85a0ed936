/** Wire shapes of the admin API under /api/v1 (README, HTTP API), shared by the API and the CLI. */

import type { LockView } from './lock.types.js';

/**
 * Paging of every admin list: `?limit=` (1-1000, default 100) and `?cursor=` (the previous page's `next_cursor`,
 * opaque; null on the last page). Keyset paging, so rows added meanwhile never make a page repeat or skip a row.
 */
export interface PageQuery {
  limit?: number;
  cursor?: string;
}

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;

/** A member's role in a project: read (download), write (also upload and lock), maintainer (also unlock others'). */
export const ROLES = ['read', 'write', 'maintainer'] as const;
export type Role = (typeof ROLES)[number];

export const VISIBILITIES = ['private', 'public'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export interface CreateUserRequest {
  username: string;
  password?: string;
  admin?: boolean;
}

export interface UserView {
  id: string;
  username: string;
  admin: boolean;
  created_at: string;
}

/** GET /users?prefix=&admin=: usernames in order. */
export interface UserListQuery extends PageQuery {
  /** Usernames starting with this text. */
  prefix?: string;
  admin?: boolean;
}

export interface UserPageView {
  users: UserView[];
  next_cursor: string | null;
}

/** PUT /users/{username}/password; null leaves the account token-only. Answered 204. */
export interface SetPasswordRequest {
  password: string | null;
}

export interface CreateTokenRequest {
  name: string;
  /** ISO 8601; omitted for no expiry. */
  expires_at?: string;
}

export interface TokenView {
  id: string;
  name: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

/** A new token: the only answer that carries the secret itself. */
export interface CreatedTokenView extends TokenView {
  token: string;
}

/** GET /users/{username}/tokens: ids in order (oldest first). */
export interface TokenPageView {
  tokens: TokenView[];
  next_cursor: string | null;
}

export interface CreatePlatformTokenRequest {
  name: string;
  /** Project paths it is limited to; omitted for every project. */
  projects?: string[];
}

export interface PlatformTokenView {
  id: string;
  name: string;
  /** Project paths it is limited to; null for every project. */
  projects: string[] | null;
  created_at: string;
  revoked_at: string | null;
}

/** A new platform token: shown once; only its hash is stored. */
export interface CreatedPlatformTokenView extends PlatformTokenView {
  token: string;
}

/** GET /platform-tokens: ids in order (oldest first). */
export interface PlatformTokenPageView {
  platform_tokens: PlatformTokenView[];
  next_cursor: string | null;
}

export interface CreateProjectRequest {
  path: string;
  visibility?: Visibility;
  /** Null or omitted for no quota. */
  quota_bytes?: number | null;
}

export interface UpdateProjectRequest {
  visibility?: Visibility;
  quota_bytes?: number | null;
}

export interface ProjectView {
  id: string;
  path: string;
  visibility: Visibility;
  quota_bytes: number | null;
  created_at: string;
}

export interface MemberView {
  username: string;
  role: Role;
}

/** GET /projects/{path}/members?role=: usernames in order. */
export interface MemberListQuery extends PageQuery {
  role?: Role;
}

export interface MemberPageView {
  members: MemberView[];
  next_cursor: string | null;
}

/** GET /projects/{path}: the project with its members. */
export interface ProjectDetailsView extends ProjectView {
  members: MemberView[];
}

export interface SetMemberRequest {
  role: Role;
}

export interface MembershipView {
  project: string;
  username: string;
  role: Role;
}

export interface StatisticsView {
  lfs_objects_count: number;
  lfs_objects_size: number;
  quota_bytes: number | null;
}

/** A project in GET /projects: with its usage beside its quota. */
export interface ProjectSummaryView extends ProjectView {
  lfs_objects_count: number;
  lfs_objects_size: number;
}

/** GET /projects?prefix=&visibility=: paths in order. */
export interface ProjectListQuery extends PageQuery {
  /** Paths starting with this text (`games/` for everything under games). */
  prefix?: string;
  visibility?: Visibility;
}

export interface ProjectPageView {
  projects: ProjectSummaryView[];
  next_cursor: string | null;
}

/** GET /projects/{path}/locks?path=&owner=: lock ids in order (oldest first). */
export interface AdminLockListQuery extends PageQuery {
  /** Only the lock on this path. */
  path?: string;
  /** Only locks held by this username. */
  owner?: string;
}

export interface AdminLockPageView {
  locks: LockView[];
  next_cursor: string | null;
}

/** DELETE /projects/{path}/locks/{id}: the lock the admin removed, whoever held it. */
export interface AdminUnlockView {
  lock: LockView;
}

export interface ProjectObjectView {
  oid: string;
  size: number;
  /** When the project linked the object. */
  created_at: string;
}

export interface ProjectObjectsPageView {
  objects: ProjectObjectView[];
  next_cursor: string | null;
}

export interface LfsAuthenticateRequest {
  username: string;
  operation: 'upload' | 'download';
}

/** The answer of `git-lfs-authenticate` (git-lfs docs/api/server-discovery.md, SSH). */
export interface LfsAuthenticateView {
  href: string;
  header: { Authorization: string };
  expires_in: number;
  expires_at: string;
}

/** Who made an audited change: the bootstrap admin token, a platform token, a user (by token or password), or lfs-depot itself (GC). */
export const AUDIT_ACTOR_TYPES = ['admin_token', 'platform_token', 'user', 'system'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];

/** Every audited action, `<what>.<verb>`; `GET /api/v1/audit?action=` takes one of these. */
export const AUDIT_ACTIONS = [
  'user.create',
  'user.delete',
  'user.password_change',
  'token.create',
  'token.revoke',
  'platform_token.create',
  'platform_token.revoke',
  'project.create',
  'project.update',
  'project.delete',
  'project.import',
  'member.set',
  'member.remove',
  'lock.force_unlock',
  'object.unlink',
  'object.delete',
  'gc.start',
  'gc.unlink',
  'gc.purge',
  'job.cancel',
  'storage.migrate',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** What an audited change is about. */
export const AUDIT_TARGET_TYPES = [
  'user',
  'token',
  'platform_token',
  'project',
  'member',
  'lock',
  'object',
  'job',
] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

export interface AuditActorView {
  type: AuditActorType;
  /** The user's or platform token's id; null for the admin token and for lfs-depot itself. */
  id: string | null;
  /** The username, the platform token's name, `admin` for the admin token, or the system task (`gc`). */
  name: string;
}

export interface AuditTargetView {
  type: AuditTargetType;
  /** The row's id when it has one (user, token, project, lock); null for an object (its name is the oid). */
  id: string | null;
  /** Username, token name, project path, member's username, lock path, or oid. */
  name: string;
}

/** One audited change (GET /api/v1/audit). */
export interface AuditEventView {
  id: string;
  created_at: string;
  actor: AuditActorView;
  action: AuditAction;
  target: AuditTargetView;
  /** Path of the project the change concerns, if any (kept after the project is deleted). */
  project: string | null;
  /** What changed, by action: e.g. `{role}` for member.set, `{visibility, quota_bytes}` (new values) for project.update. */
  details: Record<string, unknown>;
  /** The client's address as the API learnt it (signed by the proxy); null for lfs-depot's own tasks. */
  client_address: string | null;
  request_id: string | null;
}

/** GET /api/v1/audit: every filter optional, combined with AND. */
export interface AuditListQuery extends PageQuery {
  /** Project path. */
  project?: string;
  /** Actor name: a username, a platform token's name, `admin` (the admin token) or a system task (`gc`). */
  actor?: string;
  actor_type?: AuditActorType;
  action?: AuditAction;
  /** ISO 8601: events at or after it. */
  since?: string;
}

/** Newest first. */
export interface AuditPageView {
  events: AuditEventView[];
  next_cursor: string | null;
}
