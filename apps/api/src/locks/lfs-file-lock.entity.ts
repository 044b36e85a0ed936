import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'lfs_file_locks' })
export class LfsFileLock {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'project_id', type: 'bigint' })
  projectId!: string;

  /** Repository-relative, forward slashes, stored exactly as the client sent it. */
  @Column({ type: 'text' })
  path!: string;

  @Column({ name: 'user_id', type: 'bigint' })
  userId!: string;

  @Column({ name: 'ref_name', type: 'text', nullable: true })
  refName!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
