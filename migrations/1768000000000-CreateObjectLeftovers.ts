import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Verified bytes whose upload was refused while the object's row was being purged: no row can be recorded for them
 * then (the purging row holds the oid and size), and the purge deleted the bytes before they were written, so once it
 * removes its row nothing would name them. Garbage collection records a row for each once no purge holds the oid,
 * and then purges those bytes like any others (README "Garbage collection").
 */
export class CreateObjectLeftovers1768000000000 implements MigrationInterface {
  name = 'CreateObjectLeftovers1768000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE lfs_object_leftovers (
        storage_key text PRIMARY KEY,
        oid char(64) NOT NULL CHECK (oid ~ '^[0-9a-f]{64}$'),
        size bigint NOT NULL CHECK (size >= 0),
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE lfs_object_leftovers`);
  }
}
