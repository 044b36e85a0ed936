import type { LockedPathView, PushCheckPointer, PushCheckResponse } from '@lfs-depot/contracts';

import { ApiProperty, ApiPropertyOptional } from '../http/openapi.decorator.js';

// OpenAPI schemas of the push check's answer, each implementing its contracts wire type.

export class LockedPathSchema implements LockedPathView {
  @ApiProperty() path!: string;
  @ApiProperty({ description: 'The pushed ref that changes the path' }) ref!: string;
  @ApiProperty({ description: "The lock owner's username" }) owner!: string;
  @ApiProperty() lock_id!: string;
  @ApiProperty({ format: 'date-time' }) locked_at!: string;
}

export class PushCheckPointerSchema implements PushCheckPointer {
  @ApiProperty({ pattern: '^[0-9a-f]{64}$' }) oid!: string;
  @ApiProperty({ type: 'integer' }) size!: number;
  @ApiPropertyOptional({ type: [String] }) paths?: string[];
}

export class PushCheckResponseSchema implements PushCheckResponse {
  @ApiProperty() allowed!: boolean;
  @ApiProperty({ type: [LockedPathSchema] }) locked!: LockedPathSchema[];
  @ApiProperty({
    type: [PushCheckPointerSchema],
    description: 'Pointers to objects the project does not have',
  })
  missing!: PushCheckPointerSchema[];
  @ApiProperty({
    type: [PushCheckPointerSchema],
    description:
      'Pointers to objects the project has but whose stored bytes scrub found missing or corrupt; uploading them again heals them',
  })
  damaged!: PushCheckPointerSchema[];
}
