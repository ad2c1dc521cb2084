import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The durable mail queue, delivery tracking on grants, sender notifications and email-verified recipients. */
export class Mail1764000000000 implements MigrationInterface {
  name = 'Mail1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- Outgoing mail. The payload (template data, which may hold a link URL or a code) is sealed
      -- with the gateway's secret key and cleared once the message has been sent or has failed.
      CREATE TABLE mail_queue (
        id uuid PRIMARY KEY,
        template text NOT NULL,
        to_address text NOT NULL,
        payload text,
        status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'suppressed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz,
        last_error text,
        message_id text NOT NULL,
        link_id uuid,
        grant_id uuid REFERENCES grants(id),
        dedupe_key text UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz
      );
      CREATE INDEX mail_queue_due_idx ON mail_queue (next_attempt_at) WHERE status IN ('queued', 'sending');
      CREATE INDEX mail_queue_grant_idx ON mail_queue (grant_id) WHERE grant_id IS NOT NULL;

      ALTER TABLE grants
        ADD COLUMN delivery_status text CHECK (delivery_status IN ('queued', 'sent', 'outbox', 'failed')),
        ADD COLUMN delivered_at timestamptz,
        ADD COLUMN delivery_error text;

      ALTER TABLE links
        ADD COLUMN email_recipients boolean NOT NULL DEFAULT false,
        ADD COLUMN notify_on_download boolean NOT NULL DEFAULT false;

      -- The code a browser session was sent for one grant, and its attempts. One row per
      -- (grant, session): a new code replaces the old one, but failed attempts keep counting.
      CREATE TABLE email_challenges (
        grant_id uuid NOT NULL REFERENCES grants(id),
        session_hash text NOT NULL,
        email text NOT NULL,
        allowed boolean NOT NULL,
        code_hash text NOT NULL,
        issued_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        failures integer NOT NULL DEFAULT 0,
        locked_at timestamptz,
        PRIMARY KEY (grant_id, session_hash)
      );
      -- Which email a browser session proved it owns, per grant.
      ALTER TABLE recipient_sessions ADD COLUMN verified jsonb NOT NULL DEFAULT '{}';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE recipient_sessions DROP COLUMN verified;
      DROP TABLE email_challenges;
      ALTER TABLE links DROP COLUMN notify_on_download, DROP COLUMN email_recipients;
      ALTER TABLE grants DROP COLUMN delivery_error, DROP COLUMN delivered_at, DROP COLUMN delivery_status;
      DROP TABLE mail_queue;
    `);
  }
}
