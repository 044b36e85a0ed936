import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Lock listings page through one project's locks in id order; without this they sort the whole project's locks. */
export class AddLfsFileLocksProjectIdIndex1764201600000 implements MigrationInterface {
  name = 'AddLfsFileLocksProjectIdIndex1764201600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX lfs_file_locks_project_id_id_idx ON lfs_file_locks (project_id, id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX lfs_file_locks_project_id_id_idx`);
  }
}
