import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Platform tokens: what a git host's hooks and SSH server hold. They may only call push-check and lfs-authenticate,
 * optionally for a set of project paths, so reading a hook file no longer makes anyone lfs-depot admin.
 */
export class CreatePlatformTokens1764979200000 implements MigrationInterface {
  name = 'CreatePlatformTokens1764979200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE platform_tokens (
         id bigserial PRIMARY KEY,
         name text NOT NULL,
         token_hash text NOT NULL UNIQUE,
         project_paths text[],
         created_at timestamptz NOT NULL DEFAULT now(),
         revoked_at timestamptz
       )`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE platform_tokens`);
  }
}
