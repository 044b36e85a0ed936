/** Wire shapes of the admin API under /api/v1 (README, HTTP API), shared by the API and the CLI. */

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
