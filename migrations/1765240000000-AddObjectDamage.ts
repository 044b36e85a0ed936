import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scrub's repair mark, beside the object state (present → purging → gone) rather than a state of its own: a damaged
 * row is still `present`, so links, unlinks and purges treat it as they always did, while the batch asks clients to
 * upload it again and downloads refuse it. `damage` says what scrub found (bytes missing, or bytes whose hash or
 * size is wrong) and `quarantined_as` where corrupt bytes were moved aside. An upload of the right bytes clears all
 * three, under the row's lock (README "Scrub").
 */
export class AddObjectDamage1765240000000 implements MigrationInterface {
  name = 'AddObjectDamage1765240000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE lfs_objects
         ADD COLUMN damaged_at timestamptz,
         ADD COLUMN damage text CHECK (damage IN ('missing', 'corrupt')),
         ADD COLUMN quarantined_as text,
         ADD CONSTRAINT lfs_objects_damage_marked CHECK ((damaged_at IS NULL) = (damage IS NULL))`,
    );
    await queryRunner.query(
      `CREATE INDEX lfs_objects_damaged_idx ON lfs_objects (id) WHERE damaged_at IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX lfs_objects_damaged_idx`);
    await queryRunner.query(
      `ALTER TABLE lfs_objects
         DROP CONSTRAINT lfs_objects_damage_marked,
         DROP COLUMN quarantined_as, DROP COLUMN damage, DROP COLUMN damaged_at`,
    );
  }
}
