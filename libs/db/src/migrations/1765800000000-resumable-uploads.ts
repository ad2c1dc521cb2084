import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Resumable (tus) uploads: one row per upload with its declared length and the offset reached, and
 * one row per stored segment (the bytes of one PATCH, committed as its own object). Any replica can
 * continue an upload another started: all of its state is here. `writer` marks the request writing
 * now (with `writer_seen_at` as its heartbeat), so that two requests never append at once.
 */
export class ResumableUploads1765800000000 implements MigrationInterface {
  name = 'ResumableUploads1765800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE resumable_uploads (
        id uuid PRIMARY KEY,
        owner_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        storage_connection text NOT NULL,
        upload_length bigint NOT NULL,
        upload_offset bigint NOT NULL DEFAULT 0,
        file_name text NOT NULL,
        content_type text NOT NULL,
        metadata text NOT NULL DEFAULT '',
        writer uuid,
        writer_seen_at timestamptz,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX resumable_uploads_expiry ON resumable_uploads (expires_at)`);
    await q.query(`
      CREATE TABLE resumable_upload_segments (
        upload_id uuid NOT NULL REFERENCES resumable_uploads(id) ON DELETE CASCADE,
        start_offset bigint NOT NULL,
        size bigint NOT NULL,
        storage_key text NOT NULL,
        PRIMARY KEY (upload_id, start_offset)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE resumable_upload_segments`);
    await q.query(`DROP TABLE resumable_uploads`);
  }
}
