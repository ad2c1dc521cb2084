import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The version at which a grant's last download of each file or archive of a share link started
 * (from its first byte), so that a resumed range without `If-Range` (`curl -C -`) is served only
 * from that same version, never as the tail of another one.
 */
export class ShareDownloadStarts1765700000000 implements MigrationInterface {
  name = 'ShareDownloadStarts1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE share_download_starts (
        grant_id uuid NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
        target text NOT NULL,
        version text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (grant_id, target)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE share_download_starts`);
  }
}
