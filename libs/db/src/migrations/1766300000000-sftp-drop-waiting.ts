import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Files dropped over SFTP that are stored and wait for their folder's quiet period, so that a drop
 * the client saw written survives the process that took it: the process touches its rows while it
 * lives, and any replica makes the link of rows left untouched (their process died). Their bytes
 * are kept from the abandoned-upload sweep while a row waits for them.
 */
export class SftpDropWaiting1766300000000 implements MigrationInterface {
  name = 'SftpDropWaiting1766300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sftp_drop_waiting (
        file_id uuid PRIMARY KEY,
        batch_id uuid NOT NULL,
        user_id uuid NOT NULL REFERENCES users(id),
        folder text NOT NULL,
        fields_sealed text NOT NULL,
        storage_connection text NOT NULL,
        position integer NOT NULL,
        file_name text NOT NULL,
        original_name text,
        size bigint NOT NULL CHECK (size >= 0),
        sha256 text NOT NULL,
        crc32 bigint,
        content_type text NOT NULL,
        storage_key text NOT NULL,
        seen_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX sftp_drop_waiting_batch_idx ON sftp_drop_waiting (batch_id);
      CREATE INDEX sftp_drop_waiting_seen_idx ON sftp_drop_waiting (seen_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sftp_drop_waiting`);
  }
}
