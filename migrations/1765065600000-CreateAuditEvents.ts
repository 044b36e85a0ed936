import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail: one row per admin change, force-unlock, object deletion or GC action, written in the same
 * transaction as the change. No foreign keys: an event outlives the user, project or token it names.
 */
export class CreateAuditEvents1765065600000 implements MigrationInterface {
  name = 'CreateAuditEvents1765065600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE audit_events (
         id bigserial PRIMARY KEY,
         created_at timestamptz NOT NULL DEFAULT now(),
         actor_type text NOT NULL,
         actor_id text,
         actor_name text NOT NULL,
         action text NOT NULL,
         target_type text NOT NULL,
         target_id text,
         target_name text NOT NULL,
         project_path text,
         details jsonb NOT NULL DEFAULT '{}'::jsonb,
         client_address text,
         request_id text
       )`,
    );
    // The listing pages newest first (id descending) within each filter.
    await queryRunner.query(`CREATE INDEX audit_events_project_path_id ON audit_events (project_path, id)`);
    await queryRunner.query(`CREATE INDEX audit_events_actor_name_id ON audit_events (actor_name, id)`);
    await queryRunner.query(`CREATE INDEX audit_events_action_id ON audit_events (action, id)`);
    await queryRunner.query(`CREATE INDEX audit_events_created_at ON audit_events (created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit_events`);
  }
}
