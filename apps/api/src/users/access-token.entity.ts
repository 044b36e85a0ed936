import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'access_tokens' })
export class AccessToken {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'user_id', type: 'bigint' })
  userId!: string;

  @Column({ type: 'text' })
  name!: string;

  /** SHA-256 of the token; tokens are random and long, so a fast hash is enough and lookups stay indexed. */
  @Column({ name: 'token_hash', type: 'text', unique: true })
  tokenHash!: string;

  /** Restricts the token to one project (short-lived git-lfs-authenticate tokens); null means all of the user's. */
  @Column({ name: 'project_id', type: 'bigint', nullable: true })
  projectId!: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
