import type { JobKind, JobProgress, JobsPageView, JobState, JobView } from '@lfs-depot/contracts';
import { JOB_KINDS, JOB_STATES } from '@lfs-depot/contracts';

import { ApiProperty } from '../http/openapi.decorator.js';

// OpenAPI schemas of the jobs answers (GET /api/v1/jobs…, POST /api/v1/gc), implementing the contracts wire types.

export class JobSchema implements JobView {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: JOB_KINDS }) kind!: JobKind;
  @ApiProperty({ enum: JOB_STATES }) state!: JobState;
  @ApiProperty({ type: 'object', additionalProperties: true }) params!: Record<string, unknown>;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'Where it is: {phase, done, total} (total null while unknown)',
  })
  progress!: JobProgress | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description:
      'The report once it succeeded (gc: dry_run, project, projects_examined, unlinked, …; scrub: checked, counts, problems, …)',
  })
  result!: Record<string, unknown> | null;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty() cancel_requested!: boolean;
  @ApiProperty({ type: 'integer' }) attempts!: number;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) started_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finished_at!: string | null;
}

export class JobsPageSchema implements JobsPageView {
  @ApiProperty({ type: [JobSchema] }) jobs!: JobSchema[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass back as `cursor` for the next page; null on the last page',
  })
  next_cursor!: string | null;
}
