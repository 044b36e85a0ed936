import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

import { bigintToNumber } from '../database/bigint.js';

@Entity({ name: 'project_statistics' })
export class ProjectStatistics {
  @PrimaryColumn({ name: 'project_id', type: 'bigint' })
  projectId!: string;

  @Column({ name: 'lfs_objects_count', type: 'bigint', default: 0, transformer: bigintToNumber })
  lfsObjectsCount!: number;

  @Column({ name: 'lfs_objects_size', type: 'bigint', default: 0, transformer: bigintToNumber })
  lfsObjectsSize!: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
