import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateInitialSchema1764115200000 implements MigrationInterface {
  name = 'CreateInitialSchema1764115200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE users (
        id bigserial PRIMARY KEY,
        username text NOT NULL UNIQUE,
        password_hash text,
        admin boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE projects (
        id bigserial PRIMARY KEY,
        path text NOT NULL UNIQUE,
        visibility text NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'public')),
        quota_bytes bigint CHECK (quota_bytes >= 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE access_tokens (
        id bigserial PRIMARY KEY,
        user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        project_id bigint REFERENCES projects (id) ON DELETE CASCADE,
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX access_tokens_user_id_idx ON access_tokens (user_id)`);
    await queryRunner.query(`
      CREATE TABLE project_members (
        project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('read', 'write', 'maintainer')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (project_id, user_id)
      )`);
    await queryRunner.query(`CREATE INDEX project_members_user_id_idx ON project_members (user_id)`);
    await queryRunner.query(`
      CREATE TABLE lfs_objects (
        id bigserial PRIMARY KEY,
        oid char(64) NOT NULL CHECK (oid ~ '^[0-9a-f]{64}$'),
        size bigint NOT NULL CHECK (size >= 0),
        storage_key text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT lfs_objects_oid_size_key UNIQUE (oid, size)
      )`);
    await queryRunner.query(`
      CREATE TABLE lfs_objects_projects (
        lfs_object_id bigint NOT NULL REFERENCES lfs_objects (id) ON DELETE RESTRICT,
        project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (lfs_object_id, project_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX lfs_objects_projects_project_id_idx ON lfs_objects_projects (project_id, lfs_object_id)`,
    );
    await queryRunner.query(`
      CREATE TABLE project_statistics (
        project_id bigint PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
        lfs_objects_count bigint NOT NULL DEFAULT 0 CHECK (lfs_objects_count >= 0),
        lfs_objects_size bigint NOT NULL DEFAULT 0 CHECK (lfs_objects_size >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE lfs_file_locks (
        id bigserial PRIMARY KEY,
        project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        path text NOT NULL,
        user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        ref_name text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT lfs_file_locks_project_id_path_key UNIQUE (project_id, path)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'lfs_file_locks',
      'project_statistics',
      'lfs_objects_projects',
      'lfs_objects',
      'project_members',
      'access_tokens',
      'projects',
      'users',
    ]) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}
