import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Jobs: the long operations (garbage collection now) that the API runs and owns, so that they work on the embedded
 * database and with several instances: one instance claims a queued job, keeps its heartbeat fresh while it runs,
 * and a job whose instance stopped beating is queued again for another (or the restarted one) to run.
 */
export class CreateJobs1765153000000 implements MigrationInterface {
  name = 'CreateJobs1765153000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE jobs (
         id bigserial PRIMARY KEY,
         kind text NOT NULL,
         params jsonb NOT NULL DEFAULT '{}',
         state text NOT NULL DEFAULT 'queued'
           CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
         progress jsonb,
         result jsonb,
         error text,
         cancel_requested boolean NOT NULL DEFAULT false,
         attempts integer NOT NULL DEFAULT 0,
         owner text,
         heartbeat_at timestamptz,
         created_at timestamptz NOT NULL DEFAULT now(),
         started_at timestamptz,
         finished_at timestamptz
       )`,
    );
    await queryRunner.query(
      `CREATE INDEX jobs_active_idx ON jobs (state, id) WHERE state IN ('queued', 'running')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE jobs`);
  }
}
