import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Drop folders: `/drop/<name>/` in the SFTP tree of whoever may use them, where an uploaded file
 * becomes a send link to the folder's fixed recipients with its fixed options and message. Names
 * are unique whatever their case (they are path segments, and SFTP clients differ on case). A
 * link password is kept sealed (AES-256-GCM under SECRET_KEY), never in `options`.
 */
export class DropFolders1766100000000 implements MigrationInterface {
  name = 'DropFolders1766100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE drop_folders (
        id uuid PRIMARY KEY,
        name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
        recipients text[] NOT NULL CHECK (cardinality(recipients) BETWEEN 1 AND 50),
        -- The options of a send link (oneTime, maxDownloads, expiresAt, ...), as POST /api/v1/links takes them.
        options jsonb NOT NULL DEFAULT '{}',
        password_sealed text,
        message text,
        roles text[] NOT NULL DEFAULT '{}',
        groups text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_by text NOT NULL,
        -- Bumped by every change.
        version integer NOT NULL DEFAULT 1
      );
      CREATE UNIQUE INDEX drop_folders_name_idx ON drop_folders (lower(name));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE drop_folders`);
  }
}
