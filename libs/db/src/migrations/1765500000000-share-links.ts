import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Share links: a link that points at a file or folder of a storage connection instead of holding
 * copies. The link records what it points at and, for a file, the size, modification time and
 * version it had when shared (content pinning). The files a folder share delivers get `link_files`
 * rows of their own, one per path and version (`share_version`), so that delivered-byte accounting
 * (`grant_deliveries.file_id`) works for them as for the copies of a send link.
 */
export class ShareLinks1765500000000 implements MigrationInterface {
  name = 'ShareLinks1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE links
        ADD COLUMN share_path text,
        ADD COLUMN share_target text CHECK (share_target IN ('file', 'folder')),
        ADD COLUMN pin_content boolean NOT NULL DEFAULT false,
        ADD COLUMN pinned_size bigint CHECK (pinned_size IS NULL OR pinned_size >= 0),
        ADD COLUMN pinned_mtime timestamptz,
        ADD COLUMN pinned_version text;
      ALTER TABLE link_files ADD COLUMN share_version text;
      CREATE UNIQUE INDEX link_files_share_entry_idx ON link_files (link_id, storage_key, share_version) WHERE share_version IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX link_files_share_entry_idx;
      ALTER TABLE link_files DROP COLUMN share_version;
      ALTER TABLE links DROP COLUMN share_path, DROP COLUMN share_target, DROP COLUMN pin_content,
        DROP COLUMN pinned_size, DROP COLUMN pinned_mtime, DROP COLUMN pinned_version;
    `);
  }
}
