import type { ImportFailureView, ProjectImportReport } from '@lfs-depot/contracts';

import { ApiProperty } from '../http/openapi.decorator.js';

// OpenAPI schemas of the import answer (PUT /api/v1/projects/{path}/import), implementing the contracts wire types.

export class ImportFailureSchema implements ImportFailureView {
  @ApiProperty() oid!: string;
  @ApiProperty() reason!: string;
}

export class ImportStatisticsSchema {
  @ApiProperty({ type: 'integer' }) lfs_objects_count!: number;
  @ApiProperty({ type: 'integer' }) lfs_objects_size!: number;
  @ApiProperty({ type: 'integer', nullable: true }) quota_bytes!: number | null;
}

export class ProjectImportSchema implements ProjectImportReport {
  @ApiProperty() project!: string;
  @ApiProperty() job_id!: string;
  @ApiProperty() created!: boolean;
  @ApiProperty({ type: 'integer' }) listed!: number;
  @ApiProperty({ type: 'integer' }) listed_size!: number;
  @ApiProperty({ type: 'integer' }) received!: number;
  @ApiProperty({ type: 'integer' }) linked!: number;
  @ApiProperty({ type: 'integer' }) linked_size!: number;
  @ApiProperty({ type: 'integer' }) already_linked!: number;
  @ApiProperty({ type: 'integer' }) failed!: number;
  @ApiProperty({ type: 'integer' }) missing!: number;
  @ApiProperty({ type: [ImportFailureSchema] }) failures!: ImportFailureSchema[];
  @ApiProperty({ type: ImportStatisticsSchema }) statistics!: ImportStatisticsSchema;
}
