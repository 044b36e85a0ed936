import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

import { bigintToNumber } from '../database/bigint.js';

@Entity({ name: 'lfs_objects' })
export class LfsObject {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'char', length: 64 })
  oid!: string;

  @Column({ type: 'bigint', transformer: bigintToNumber })
  size!: number;

  @Column({ name: 'storage_key', type: 'text' })
  storageKey!: string;

  /** `present`, or `purging` while its bytes are deleted (then the row goes). */
  @Column({ type: 'text', default: 'present' })
  state!: 'present' | 'purging';

  /** When the last project link went (null while linked): garbage collection purges after GC_PURGE_GRACE. */
  @Column({ name: 'unlinked_at', type: 'timestamptz', nullable: true })
  unlinkedAt!: Date | null;

  /** The project whose unlink left it linked nowhere (a collection for that project purges it); null: unknown. */
  @Column({ name: 'unlinked_from_project_id', type: 'bigint', nullable: true })
  unlinkedFromProjectId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
