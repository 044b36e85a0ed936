// Wire shapes of the admin API (DESIGN.md, Contract). The CLI only reads them, so ids stay `number | string`
// rather than guessing whether the server uses serial or uuid keys.

export type Visibility = 'private' | 'public';
export const VISIBILITIES: readonly Visibility[] = ['private', 'public'];

export type MemberRole = 'read' | 'write' | 'maintainer';
export const MEMBER_ROLES: readonly MemberRole[] = ['read', 'write', 'maintainer'];

export interface CreateUserRequest {
  username: string;
  password?: string;
  admin?: boolean;
}

export interface User {
  id: number | string;
  username: string;
  admin: boolean;
  created_at: string;
}

export interface CreateTokenRequest {
  name: string;
  expires_at?: string;
}

export interface CreatedToken {
  id: number | string;
  name: string;
  /** The secret itself; the server shows it only in this answer. */
  token: string;
  expires_at: string | null;
}

export interface CreateProjectRequest {
  path: string;
  visibility?: Visibility;
  quota_bytes?: number | null;
}

export interface UpdateProjectRequest {
  visibility?: Visibility;
  quota_bytes?: number | null;
}

export interface Project {
  id: number | string;
  path: string;
  visibility: Visibility;
  quota_bytes: number | null;
  created_at: string;
  /** Present in GET /projects/{path} answers only. */
  members?: ProjectMember[];
}

export interface ProjectMember {
  username: string;
  role: MemberRole;
}

export interface Membership {
  project: string;
  username: string;
  role: MemberRole;
}

export interface ProjectStatistics {
  lfs_objects_count: number;
  lfs_objects_size: number;
  quota_bytes: number | null;
}
