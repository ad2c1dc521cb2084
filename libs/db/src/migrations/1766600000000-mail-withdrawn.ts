import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A queued message can be `withdrawn` while a worker is sending it (a new invitation replaced it):
 * the worker then does not send it, or records that the mail server had already taken it.
 */
export class MailWithdrawn1766600000000 implements MigrationInterface {
  name = 'MailWithdrawn1766600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE mail_queue DROP CONSTRAINT mail_queue_status_check;
      ALTER TABLE mail_queue ADD CONSTRAINT mail_queue_status_check
        CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'suppressed', 'withdrawn'));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM mail_queue WHERE status = 'withdrawn';
      ALTER TABLE mail_queue DROP CONSTRAINT mail_queue_status_check;
      ALTER TABLE mail_queue ADD CONSTRAINT mail_queue_status_check
        CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'suppressed'));
    `);
  }
}
