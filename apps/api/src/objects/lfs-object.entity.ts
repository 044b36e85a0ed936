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
  /** When scrub's repair found its bytes missing or corrupt (null: healthy); an upload of the right bytes clears it. */
  @Column({ name: 'damaged_at', type: 'timestamptz', nullable: true })
  damagedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  damage!: 'missing' | 'corrupt' | null;

  /** Where the corrupt bytes were moved aside (a key under quarantine/ in the same storage). */
  @Column({ name: 'quarantined_as', type: 'text', nullable: true })
  quarantinedAs!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
