import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Administrators' versions of the email templates. Every save, restore and reset is a new row:
 * the latest row of a template is the one in force, and a part left NULL (all of them, after a
 * reset) is the built-in file. Rows are never updated or deleted, so the history is complete.
 */
export class MailTemplates1766500000000 implements MigrationInterface {
  name = 'MailTemplates1766500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE mail_template_versions (
        template text NOT NULL,
        version integer NOT NULL CHECK (version > 0),
        subject text,
        text_body text,
        html_body text,
        action text NOT NULL CHECK (action IN ('saved', 'restored', 'reset')),
        restored_from integer,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        created_by text NOT NULL,
        PRIMARY KEY (template, version)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE mail_template_versions`);
  }
}
