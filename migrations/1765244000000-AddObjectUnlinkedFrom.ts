import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which project's unlink left an object linked nowhere, so that a collection for one project (`gc --project`)
 * purges only the bytes that project was the last to link (README "Garbage collection"). No foreign key: project
 * ids are never reused, and the objects of a deleted project are left to collections of every project. Rows
 * unlinked before this migration have none, and so do those recorded without a link (a refused quota).
 */
export class AddObjectUnlinkedFrom1765244000000 implements MigrationInterface {
  name = 'AddObjectUnlinkedFrom1765244000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE lfs_objects ADD COLUMN unlinked_from_project_id bigint`);
    await queryRunner.query(
      `CREATE INDEX lfs_objects_unlinked_from_idx ON lfs_objects (unlinked_from_project_id, id)
        WHERE unlinked_from_project_id IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX lfs_objects_unlinked_from_idx`);
    await queryRunner.query(`ALTER TABLE lfs_objects DROP COLUMN unlinked_from_project_id`);
  }
}
