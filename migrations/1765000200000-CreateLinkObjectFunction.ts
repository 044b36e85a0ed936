import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * lfs_link_object: the whole of a link (ObjectsRepository.link) as one statement, so that a finalize costs one round
 * trip to PostgreSQL for its work instead of five. In order: the project's statistics row locked (every link and
 * unlink of a project serialised, and the quota read under that lock), the object's row upserted and so locked (a
 * damage mark cleared when the upload wrote the bytes), refused unless `present`, the link made, and only when it is
 * new, the quota judged on the size read under the lock, the statistics moved, the unlinked mark and the removal
 * record cleared. Every refusal raises, which rolls the statement back whole: LD404 (the project is gone), LD503 (the
 * row is being purged), LD413 (over quota; its DETAIL is JSON with path, used and quota). PL/pgSQL, so that its
 * statements are planned once per connection. Its timestamp is below those of earlier migrations (the range this
 * change was given); nothing in it needs them at creation, since PL/pgSQL resolves tables and columns when it runs.
 */
export class CreateLinkObjectFunction1765000200000 implements MigrationInterface {
  name = 'CreateLinkObjectFunction1765000200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION lfs_link_object(
        p_project_id bigint, p_oid text, p_size bigint, p_storage_key text, p_wrote_bytes boolean,
        p_quota_given boolean, p_quota bigint)
      RETURNS TABLE (linked boolean, storage_key text)
      LANGUAGE plpgsql AS $$
      DECLARE
        v_used bigint;
        v_path text;
        v_quota bigint;
        v_id bigint;
        v_state text;
        v_key text;
      BEGIN
        SELECT s.lfs_objects_size, p.path, p.quota_bytes INTO v_used, v_path, v_quota
          FROM project_statistics s JOIN projects p ON p.id = s.project_id
         WHERE s.project_id = p_project_id
           FOR UPDATE OF s;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'project % is gone', p_project_id USING ERRCODE = 'LD404';
        END IF;
        INSERT INTO lfs_objects AS o (oid, size, storage_key) VALUES (p_oid, p_size, p_storage_key)
        ON CONFLICT (oid, size) DO UPDATE SET oid = EXCLUDED.oid,
          damaged_at = CASE WHEN p_wrote_bytes THEN NULL ELSE o.damaged_at END,
          damage = CASE WHEN p_wrote_bytes THEN NULL ELSE o.damage END,
          quarantined_as = CASE WHEN p_wrote_bytes THEN NULL ELSE o.quarantined_as END
        RETURNING o.id, o.state, o.storage_key INTO v_id, v_state, v_key;
        IF v_state <> 'present' THEN
          RAISE EXCEPTION 'object % is being purged', p_oid USING ERRCODE = 'LD503';
        END IF;
        INSERT INTO lfs_objects_projects (lfs_object_id, project_id) VALUES (v_id, p_project_id)
        ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
          RETURN QUERY SELECT false, v_key;
          RETURN;
        END IF;
        IF p_quota_given THEN
          v_quota := p_quota;
        END IF;
        IF v_quota IS NOT NULL AND v_used + p_size > v_quota THEN
          RAISE EXCEPTION 'over quota' USING ERRCODE = 'LD413',
            DETAIL = json_build_object('path', v_path, 'used', v_used, 'quota', v_quota)::text;
        END IF;
        UPDATE project_statistics
           SET lfs_objects_count = lfs_objects_count + 1, lfs_objects_size = lfs_objects_size + p_size,
               updated_at = now()
         WHERE project_id = p_project_id;
        UPDATE lfs_objects SET unlinked_at = NULL, unlinked_from_project_id = NULL WHERE id = v_id;
        -- Uploaded again: a deletion on purpose no longer answers 410 for it.
        DELETE FROM lfs_object_removals WHERE project_id = p_project_id AND oid = p_oid;
        RETURN QUERY SELECT true, v_key;
      END
      $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DROP FUNCTION lfs_link_object(bigint, text, bigint, text, boolean, boolean, bigint)`,
    );
  }
}
