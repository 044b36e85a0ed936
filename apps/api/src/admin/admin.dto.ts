import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import {
  AUDIT_ACTIONS,
  AUDIT_ACTOR_TYPES,
  JOB_KINDS,
  JOB_STATES,
  MAX_PAGE_LIMIT,
  PROJECT_PATH_PATTERN,
  ROLES,
  VISIBILITIES,
} from '@lfs-depot/contracts';
import type {
  AuditAction,
  AuditActorType,
  AuditListQuery,
  JobKind,
  JobState,
  MemberListQuery,
  ProjectListQuery,
  Role,
  SetPasswordRequest,
  UserListQuery,
  Visibility,
} from '@lfs-depot/contracts';

import { ApiProperty, ApiPropertyOptional } from '../http/openapi.decorator.js';

export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const MAX_QUOTA = Number.MAX_SAFE_INTEGER;

/**
 * A decimal string (a query value, or a quota sent as text) as a number; anything else stays as sent for the
 * validators to refuse. class-transformer's @Type(() => Number) would call Number() on objects and arrays too,
 * which throws a TypeError (a 500) on `[{"toString": null}]`.
 */
const numericString = Transform(({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value,
);

export class CreateUserDto {
  @ApiProperty({ example: 'alice' })
  @IsString()
  @Matches(USERNAME_PATTERN, {
    message: 'username must be 1-64 letters, digits, ".", "_" or "-", starting alphanumeric',
  })
  username!: string;

  @ApiPropertyOptional({ description: 'Omit for a token-only account', minLength: 8 })
  @IsOptional()
  @IsString()
  @Length(8, 1024)
  password?: string;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  admin?: boolean;
}

export class CreateTokenDto {
  @ApiProperty({ example: 'laptop' })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiPropertyOptional({ example: '2027-01-01T00:00:00Z', description: 'ISO 8601; omit for no expiry' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expires_at?: string;
}

export class CreatePlatformTokenDto {
  @ApiProperty({ example: 'gitlab-hooks' })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiPropertyOptional({
    example: ['games/engine'],
    description: 'project paths the token is limited to; omit for every project',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(255, { each: true })
  projects?: string[];
}

export class CreateProjectDto {
  @ApiProperty({ example: 'group/sub/name' })
  @IsString()
  @MaxLength(255)
  @Matches(PROJECT_PATH_PATTERN, {
    message:
      'path must be 1-10 "/"-separated segments of letters, digits, ".", "_" or "-", without ".git" or "info/lfs"',
  })
  path!: string;

  @ApiPropertyOptional({ enum: VISIBILITIES, default: 'private' })
  @IsOptional()
  @IsIn(VISIBILITIES)
  visibility?: Visibility;

  @ApiPropertyOptional({ nullable: true, description: 'Bytes; null or omitted for no quota' })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @numericString
  @IsInt()
  @Min(0)
  @Max(MAX_QUOTA)
  quota_bytes?: number | null;
}

export class UpdateProjectDto {
  @ApiPropertyOptional({ enum: VISIBILITIES })
  @IsOptional()
  @IsIn(VISIBILITIES)
  visibility?: Visibility;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsInt()
  @Min(0)
  @Max(MAX_QUOTA)
  quota_bytes?: number | null;
}

export class SetMemberDto {
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role!: Role;
}

/** Query filters are compared as text: a control character (NUL above all, which PostgreSQL cannot store) matches nothing. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const noControlCharacters = Matches(/^[^\u0000-\u001f\u007f]*$/, {
  message: '$property must not contain control characters',
});

/** `true` / `false` in a query string as a boolean; anything else stays as sent for the validators to refuse. */
const booleanString = Transform(({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value,
);

/** `limit` and `cursor` of every admin list. */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: 100 })
  @IsOptional()
  @numericString
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_LIMIT)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page (opaque)' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @noControlCharacters
  cursor?: string;
}

export class ListProjectObjectsQueryDto extends PageQueryDto {}

export class ListUsersQueryDto extends PageQueryDto implements UserListQuery {
  @ApiPropertyOptional({ description: 'Usernames starting with this text' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @noControlCharacters
  prefix?: string;

  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @booleanString
  @IsBoolean()
  admin?: boolean;
}

export class SetPasswordDto implements SetPasswordRequest {
  @ApiProperty({ type: String, nullable: true, minLength: 8, description: 'null: token sign-in only' })
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @Length(8, 1024)
  password!: string | null;
}

export class ListProjectsQueryDto extends PageQueryDto implements ProjectListQuery {
  @ApiPropertyOptional({ description: 'Paths starting with this text, e.g. `games/`' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @noControlCharacters
  prefix?: string;

  @ApiPropertyOptional({ enum: VISIBILITIES })
  @IsOptional()
  @IsIn(VISIBILITIES)
  visibility?: Visibility;
}

export class ListMembersQueryDto extends PageQueryDto implements MemberListQuery {
  @ApiPropertyOptional({ enum: ROLES })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;
}

export class ListLocksQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only the lock on this path' })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  @noControlCharacters
  path?: string;

  @ApiPropertyOptional({ description: 'Only locks held by this username' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @noControlCharacters
  owner?: string;
}

export class AuditQueryDto extends PageQueryDto implements AuditListQuery {
  @ApiPropertyOptional({ description: 'Project path' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @noControlCharacters
  project?: string;

  @ApiPropertyOptional({ description: "Actor name: a username, a platform token's name, `admin`, or `gc`" })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @noControlCharacters
  actor?: string;

  @ApiPropertyOptional({ enum: AUDIT_ACTOR_TYPES })
  @IsOptional()
  @IsIn(AUDIT_ACTOR_TYPES)
  actor_type?: AuditActorType;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS)
  action?: AuditAction;

  @ApiPropertyOptional({ format: 'date-time', description: 'Events at or after this time (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;
}

export class ListJobsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: JOB_STATES })
  @IsOptional()
  @IsIn(JOB_STATES)
  state?: JobState;

  @ApiPropertyOptional({ enum: JOB_KINDS })
  @IsOptional()
  @IsIn(JOB_KINDS)
  kind?: JobKind;
}
