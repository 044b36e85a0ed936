import type { Visibility } from '@lfs-depot/contracts';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

import { bigintToNumber } from '../database/bigint.js';

@Entity({ name: 'projects' })
export class Project {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  /** `group/sub/name`, without `.git`. */
  @Column({ type: 'text', unique: true })
  path!: string;

  @Column({ type: 'text', default: 'private' })
  visibility!: Visibility;

  /** Null means no quota. */
  @Column({ name: 'quota_bytes', type: 'bigint', nullable: true, transformer: bigintToNumber })
  quotaBytes!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
