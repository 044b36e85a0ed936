import type { ReferencesView } from '@lfs-depot/contracts';

import { ApiProperty } from '../http/openapi.decorator.js';

/** The OpenAPI schema of a project's reference snapshot, implementing the contracts wire type. */
export class ReferencesSchema implements ReferencesView {
  @ApiProperty({ format: 'date-time' }) taken_at!: string;
  @ApiProperty({ type: 'integer' }) referenced!: number;
  @ApiProperty({ type: 'integer' }) linked_unreferenced!: number;
  @ApiProperty({ type: 'integer' }) linked_unreferenced_size!: number;
  @ApiProperty({ type: 'integer' }) referenced_missing!: number;
}
