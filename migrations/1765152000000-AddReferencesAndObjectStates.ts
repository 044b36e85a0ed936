import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Storage lifecycle, first part. Each project may hold a snapshot of the LFS pointers its repository references
 * (replaced whole by PUT …/references); objects get a state, `present` or `purging` (a purged object's row is
 * removed: gone), the time their last link went, which garbage collection reads, and
 * the objects deleted on purpose from a project (answered 410 until uploaded again). README "Garbage collection"
 * says why a link may only be made to a `present` row, under its row lock.
 */
export class AddReferencesAndObjectStates1765152000000 implements MigrationInterface {
  name = 'AddReferencesAndObjectStates1765152000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE lfs_objects
         ADD COLUMN state text NOT NULL DEFAULT 'present' CHECK (state IN ('present', 'purging')),
         ADD COLUMN unlinked_at timestamptz`,
    );
    // Objects recorded but linked nowhere (quota refused, project deleted) count as unlinked from now on.
    await queryRunner.query(
      `UPDATE lfs_objects o SET unlinked_at = now()
        WHERE NOT EXISTS (SELECT 1 FROM lfs_objects_projects l WHERE l.lfs_object_id = o.id)`,
    );
    await queryRunner.query(
      `CREATE INDEX lfs_objects_unlinked_at_idx ON lfs_objects (unlinked_at) WHERE unlinked_at IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX lfs_objects_purging_idx ON lfs_objects (id) WHERE state = 'purging'`,
    );
    await queryRunner.query(
      `CREATE TABLE project_reference_snapshots (
         project_id bigint PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
         referenced_count bigint NOT NULL CHECK (referenced_count >= 0),
         taken_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    await queryRunner.query(
      `CREATE TABLE project_references (
         project_id bigint NOT NULL REFERENCES project_reference_snapshots (project_id) ON DELETE CASCADE,
         oid char(64) NOT NULL,
         size bigint NOT NULL CHECK (size >= 0),
         PRIMARY KEY (project_id, oid, size)
       )`,
    );
    // An object deleted on purpose from a project: its batch downloads answer 410 until it is uploaded again.
    await queryRunner.query(
      `CREATE TABLE lfs_object_removals (
         project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
         oid char(64) NOT NULL,
         removed_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (project_id, oid)
       )`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE lfs_object_removals`);
    await queryRunner.query(`DROP TABLE project_references`);
    await queryRunner.query(`DROP TABLE project_reference_snapshots`);
    await queryRunner.query(`DROP INDEX lfs_objects_purging_idx`);
    await queryRunner.query(`DROP INDEX lfs_objects_unlinked_at_idx`);
    await queryRunner.query(`ALTER TABLE lfs_objects DROP COLUMN unlinked_at, DROP COLUMN state`);
  }
}
