import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The storage id this database owns, the same as in STORAGE's marker (`lfs-depot-storage.json`): the API refuses to
 * start on a storage whose marker names another, so that two deployments never share (and purge) the same bytes.
 * One row at most; none until the first start of a version that knows it (README "One storage, one database").
 */
export class CreateStorageIdentity1768100000000 implements MigrationInterface {
  name = 'CreateStorageIdentity1768100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE storage_identity (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        storage_id char(32) NOT NULL CHECK (storage_id ~ '^[0-9a-f]{32}$'),
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE storage_identity`);
  }
}
