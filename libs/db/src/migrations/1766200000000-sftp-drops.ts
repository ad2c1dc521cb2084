import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Files dropped over SFTP into `/send/<recipients>/` or `/drop/<name>/`, once their link exists
 * or was refused: what the dropper's listing shows beside them (`<file>.link.txt` with the link's
 * addresses, sealed at rest since they hold the recipients' tokens, or `<file>.error.txt` naming
 * the rule that refused it).
 */
export class SftpDrops1766200000000 implements MigrationInterface {
  name = 'SftpDrops1766200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sftp_drops (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id),
        folder text NOT NULL,
        file_name text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('sent', 'refused')),
        link_id uuid REFERENCES links(id),
        file_id uuid REFERENCES link_files(id),
        size bigint NOT NULL CHECK (size >= 0),
        link_text_sealed text,
        error_code text,
        error_message text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((outcome = 'sent') = (link_id IS NOT NULL AND file_id IS NOT NULL AND link_text_sealed IS NOT NULL))
      );
      CREATE INDEX sftp_drops_folder_idx ON sftp_drops (user_id, folder, file_name);
      CREATE INDEX sftp_drops_link_idx ON sftp_drops (link_id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sftp_drops`);
  }
}
