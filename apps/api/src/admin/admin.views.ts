import {
  AUDIT_ACTIONS,
  AUDIT_ACTOR_TYPES,
  AUDIT_TARGET_TYPES,
  ROLES,
  VISIBILITIES,
} from '@lfs-depot/contracts';
import type {
  AdminLockPageView,
  AdminUnlockView,
  AuditAction,
  AuditActorType,
  AuditActorView,
  AuditEventView,
  AuditPageView,
  AuditTargetType,
  AuditTargetView,
  CreatedPlatformTokenView,
  CreatedTokenView,
  LockView,
  MemberPageView,
  MembershipView,
  MemberView,
  ObjectDeletionView,
  PlatformTokenPageView,
  PlatformTokenView,
  ProjectDetailsView,
  ProjectObjectsPageView,
  ProjectObjectView,
  ProjectPageView,
  ProjectSummaryView,
  ProjectView,
  Role,
  StatisticsView,
  TokenPageView,
  TokenView,
  UserPageView,
  UserView,
  Visibility,
} from '@lfs-depot/contracts';

import { ApiProperty } from '../http/openapi.decorator.js';

// The OpenAPI schemas of the admin API's answers. Each class implements its contracts wire type, so a field added
// there and missing here does not compile; test/integration/openapi.int-spec.ts validates real answers against them.

const NEXT_CURSOR = {
  type: String,
  nullable: true,
  description: 'Pass back as `cursor` for the next page; null on the last page',
} as const;

export class UserSchema implements UserView {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'alice' }) username!: string;
  @ApiProperty() admin!: boolean;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class UserPageSchema implements UserPageView {
  @ApiProperty({ type: [UserSchema] }) users!: UserSchema[];
  @ApiProperty(NEXT_CURSOR) next_cursor!: string | null;
}

export class TokenSchema implements TokenView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expires_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_used_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revoked_at!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class CreatedTokenSchema extends TokenSchema implements CreatedTokenView {
  @ApiProperty({ description: 'Shown once; only its hash is stored', example: 'lfsd_…' }) token!: string;
}

export class TokenPageSchema implements TokenPageView {
  @ApiProperty({ type: [TokenSchema] }) tokens!: TokenSchema[];
  @ApiProperty(NEXT_CURSOR) next_cursor!: string | null;
}

export class PlatformTokenSchema implements PlatformTokenView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: [String], nullable: true, description: 'null: every project' })
  projects!: string[] | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revoked_at!: string | null;
}

export class CreatedPlatformTokenSchema extends PlatformTokenSchema implements CreatedPlatformTokenView {
  @ApiProperty({ description: 'Shown once; only its hash is stored', example: 'lfsp_…' }) token!: string;
}

export class PlatformTokenPageSchema implements PlatformTokenPageView {
  @ApiProperty({ type: [PlatformTokenSchema] }) platform_tokens!: PlatformTokenSchema[];
  @ApiProperty(NEXT_CURSOR) next_cursor!: string | null;
}

export class ProjectSchema implements ProjectView {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'games/engine' }) path!: string;
  @ApiProperty({ enum: VISIBILITIES }) visibility!: Visibility;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Bytes; null for no quota' })
  quota_bytes!: number | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class MemberSchema implements MemberView {
  @ApiProperty() username!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
}

export class ProjectDetailsSchema extends ProjectSchema implements ProjectDetailsView {
  @ApiProperty({ type: [MemberSchema] }) members!: MemberSchema[];
}

export class ProjectSummarySchema extends ProjectSchema implements ProjectSummaryView {
  @ApiProperty({ type: 'integer' }) lfs_objects_count!: number;
  @ApiProperty({ type: 'integer', description: 'Bytes' }) lfs_objects_size!: number;
}

export class ProjectPageSchema implements ProjectPageView {
  @ApiProperty({ type: [ProjectSummarySchema] }) projects!: ProjectSummarySchema[];
  @ApiProperty(NEXT_CURSOR) next_cursor!: string | null;
}

export class MemberPageSchema implements MemberPageView {
  @ApiProperty({ type: [MemberSchema] }) members!: MemberSchema[];
  @ApiProperty(NEXT_CURSOR) next_cursor!: string | null;
}

export class MembershipSchema implements MembershipView {
  @ApiProperty() project!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
}

export class StatisticsSchema implements StatisticsView {
  @ApiProperty({ type: 'integer' }) lfs_objects_count!: number;
  @ApiProperty({ type: 'integer' }) lfs_objects_size!: number;
  @ApiProperty({ type: 'integer', nullable: true }) quota_bytes!: number | null;
}

export class ProjectObjectSchema implements ProjectObjectView {
  @ApiProperty({ pattern: '^[0-9a-f]{64}$' }) oid!: string;
  @ApiProperty({ type: 'integer' }) size!: number;
  @ApiProperty({ format: 'date-time', description: 'When the project linked the object' })
  created_at!: string;
}

export class ProjectObjectsPageSchema implements ProjectObjectsPageView {
  @ApiProperty({ type: [ProjectObjectSchema] }) objects!: ProjectObjectSchema[];
  @ApiProperty(NEXT_CURSOR) next_cursor!: string | null;
}

export class LockOwnerSchema {
  @ApiProperty() name!: string;
}

export class LockSchema implements LockView {
  @ApiProperty() id!: string;
  @ApiProperty() path!: string;
  @ApiProperty({ format: 'date-time' }) locked_at!: string;
  @ApiProperty({ type: LockOwnerSchema }) owner!: LockOwnerSchema;
}

export class AdminLockPageSchema implements AdminLockPageView {
  @ApiProperty({ type: [LockSchema] }) locks!: LockSchema[];
  @ApiProperty(NEXT_CURSOR) next_cursor!: string | null;
}

export class AdminUnlockSchema implements AdminUnlockView {
  @ApiProperty({ type: LockSchema }) lock!: LockSchema;
}

export class AuditActorSchema implements AuditActorView {
  @ApiProperty({ enum: AUDIT_ACTOR_TYPES }) type!: AuditActorType;
  @ApiProperty({ type: String, nullable: true }) id!: string | null;
  @ApiProperty() name!: string;
}

export class AuditTargetSchema implements AuditTargetView {
  @ApiProperty({ enum: AUDIT_TARGET_TYPES }) type!: AuditTargetType;
  @ApiProperty({ type: String, nullable: true }) id!: string | null;
  @ApiProperty() name!: string;
}

export class AuditEventSchema implements AuditEventView {
  @ApiProperty() id!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: AuditActorSchema }) actor!: AuditActorSchema;
  @ApiProperty({ enum: AUDIT_ACTIONS }) action!: AuditAction;
  @ApiProperty({ type: AuditTargetSchema }) target!: AuditTargetSchema;
  @ApiProperty({ type: String, nullable: true }) project!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'What changed, by action' })
  details!: Record<string, unknown>;
  @ApiProperty({ type: String, nullable: true }) client_address!: string | null;
  @ApiProperty({ type: String, nullable: true }) request_id!: string | null;
}

export class AuditPageSchema implements AuditPageView {
  @ApiProperty({ type: [AuditEventSchema] }) events!: AuditEventSchema[];
  @ApiProperty(NEXT_CURSOR) next_cursor!: string | null;
}

export class ObjectDeletionSchema implements ObjectDeletionView {
  @ApiProperty({ pattern: '^[0-9a-f]{64}$' }) oid!: string;
  @ApiProperty({ type: [String], description: 'Paths of the projects whose link was removed' })
  unlinked_from!: string[];
  @ApiProperty({ description: 'Whether the bytes were deleted from storage' }) purged!: boolean;
  @ApiProperty({ type: 'integer' }) purged_size!: number;
}
