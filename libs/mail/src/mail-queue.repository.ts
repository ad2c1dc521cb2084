import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';

export type MailStatus = 'queued' | 'sending' | 'sent' | 'failed' | 'suppressed' | 'withdrawn';

/** A queued message as the worker sees it. The payload is still sealed. */
export interface QueuedMail {
  readonly id: string;
  readonly template: string;
  readonly to: string;
  readonly sealedPayload: string | null;
  readonly attempts: number;
  readonly messageId: string;
  readonly linkId: string | null;
  readonly grantId: string | null;
}

interface Row {
  id: string;
  template: string;
  to_address: string;
  payload: string | null;
  attempts: number;
  message_id: string;
  link_id: string | null;
  grant_id: string | null;
}

const toMail = (r: Row): QueuedMail => ({
  id: r.id,
  template: r.template,
  to: r.to_address,
  sealedPayload: r.payload,
  attempts: Number(r.attempts),
  messageId: r.message_id,
  linkId: r.link_id,
  grantId: r.grant_id,
});

/** A message as an administrator sees it: where it stands, never its content. */
export interface MailMessageView {
  readonly id: string;
  readonly template: string;
  readonly to: string;
  readonly status: MailStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly sentAt: Date | null;
  /** When the next attempt is due, for a message still waiting. */
  readonly nextAttemptAt: Date | null;
  readonly messageId: string;
  readonly linkId: string | null;
  readonly grantId: string | null;
}

/** Which messages to list: newest first, optionally one status, after message `before` in that order (paging). */
export interface MailListQuery {
  readonly status?: MailStatus;
  readonly before?: string;
  readonly limit: number;
}

/** Every SQL statement about the mail queue. */
@Injectable()
export class MailQueueRepository {
  constructor(private readonly db: Database) {}

  /** Adds a message; with a dedupe key already queued, adds nothing and returns false. */
  async insert(m: {
    id: string;
    template: string;
    to: string;
    sealedPayload: string | null;
    status: 'queued' | 'suppressed';
    messageId: string;
    linkId: string | null;
    grantId: string | null;
    dedupeKey: string | null;
  }): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO mail_queue (id, template, to_address, payload, status, message_id, link_id, grant_id, dedupe_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
      [m.id, m.template, m.to, m.sealedPayload, m.status, m.messageId, m.linkId, m.grantId, m.dedupeKey],
    );
    return rows.length > 0;
  }

  /**
   * Takes up to `limit` messages that are due: queued ones whose time has come, and ones whose
   * sender died mid-send (lease run out). SKIP LOCKED lets any number of replicas share the queue;
   * each message is taken by one worker at a time.
   */
  async claimDue(limit: number, leaseSeconds: number): Promise<QueuedMail[]> {
    const rows = await this.db.query<Row>(
      `UPDATE mail_queue m SET status = 'sending', attempts = m.attempts + 1,
         lease_until = now() + make_interval(secs => $2::float8)
       FROM (SELECT id FROM mail_queue
             WHERE (status = 'queued' AND next_attempt_at <= now()) OR (status = 'sending' AND lease_until < now())
             ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
       WHERE m.id = due.id
       RETURNING m.id, m.template, m.to_address, m.payload, m.attempts, m.message_id, m.link_id, m.grant_id`,
      [limit, leaseSeconds],
    );
    return rows.map(toMail);
  }

  /** The outcome of attempt `attempt`; ignored when another worker has taken the message since. */
  async markSent(id: string, attempt: number): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE mail_queue SET status = 'sent', sent_at = now(), payload = NULL, lease_until = NULL, last_error = NULL
       WHERE id = $1 AND status = 'sending' AND attempts = $2 RETURNING id`,
      [id, attempt],
    );
    return rows.length > 0;
  }

  async markRetry(id: string, attempt: number, delaySeconds: number, error: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE mail_queue SET status = 'queued', lease_until = NULL, last_error = $3,
         next_attempt_at = now() + make_interval(secs => $4::float8)
       WHERE id = $1 AND status = 'sending' AND attempts = $2 RETURNING id`,
      [id, attempt, error, delaySeconds],
    );
    return rows.length > 0;
  }

  async markFailed(id: string, attempt: number, error: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE mail_queue SET status = 'failed', payload = NULL, lease_until = NULL, last_error = $3
       WHERE id = $1 AND status = 'sending' AND attempts = $2 RETURNING id`,
      [id, attempt, error],
    );
    return rows.length > 0;
  }

  /**
   * Withdraws the unsent messages of `template` about `grantId`: the ones no worker has taken are
   * deleted, the ones a worker is sending now become `withdrawn` (its outcome, recorded against
   * `sending`, then changes nothing: a failed attempt is not tried again). Returns how many.
   */
  async withdrawUnsent(grantId: string, template: string): Promise<number> {
    const deleted = await this.db.query(`DELETE FROM mail_queue WHERE grant_id = $1 AND template = $2 AND status = 'queued' RETURNING id`, [grantId, template]);
    const stopped = await this.db.query(
      `UPDATE mail_queue SET status = 'withdrawn', payload = NULL, lease_until = NULL
       WHERE grant_id = $1 AND template = $2 AND status = 'sending' RETURNING id`,
      [grantId, template],
    );
    return deleted.length + stopped.length;
  }

  /** Whether attempt `attempt` of message `id` is still the one to make (not withdrawn, not taken by another worker since). */
  async stillSending(id: string, attempt: number): Promise<boolean> {
    const rows = await this.db.query(`SELECT 1 FROM mail_queue WHERE id = $1 AND status = 'sending' AND attempts = $2`, [id, attempt]);
    return rows.length > 0;
  }

  /**
   * Records that attempt `attempt` reached the mail server although the message was withdrawn
   * while the server was taking it; it stays `withdrawn`, with the time it was sent.
   */
  async markSentAfterWithdrawal(id: string, attempt: number): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE mail_queue SET sent_at = now(), last_error = 'sent while it was being withdrawn: the mail server had already begun to take it'
       WHERE id = $1 AND status = 'withdrawn' AND attempts = $2 AND sent_at IS NULL RETURNING id`,
      [id, attempt],
    );
    return rows.length > 0;
  }

  /** Deletes the messages that were finished (sent, failed, suppressed) more than `olderThanSeconds` ago. */
  async deleteFinished(olderThanSeconds: number): Promise<number> {
    const rows = await this.db.query(
      `DELETE FROM mail_queue WHERE status IN ('sent', 'failed', 'suppressed', 'withdrawn')
         AND COALESCE(sent_at, created_at) < now() - make_interval(secs => $1::float8) RETURNING id`,
      [olderThanSeconds],
    );
    return rows.length;
  }

  async list(q: MailListQuery): Promise<MailMessageView[]> {
    const rows = await this.db.query<{
      id: string;
      template: string;
      to_address: string;
      status: MailStatus;
      attempts: number;
      last_error: string | null;
      created_at: Date;
      sent_at: Date | null;
      next_attempt_at: Date;
      message_id: string;
      link_id: string | null;
      grant_id: string | null;
    }>(
      `SELECT id, template, to_address, status, attempts, last_error, created_at, sent_at, next_attempt_at, message_id, link_id, grant_id
         FROM mail_queue
        WHERE ($1::text IS NULL OR status = $1)
          AND ($2::uuid IS NULL OR (created_at, id) < (SELECT b.created_at, b.id FROM mail_queue b WHERE b.id = $2))
        ORDER BY created_at DESC, id DESC LIMIT $3`,
      [q.status ?? null, q.before ?? null, q.limit],
    );
    return rows.map((r) => ({
      id: r.id,
      template: r.template,
      to: r.to_address,
      status: r.status,
      attempts: Number(r.attempts),
      lastError: r.last_error,
      createdAt: new Date(r.created_at),
      sentAt: r.sent_at ? new Date(r.sent_at) : null,
      nextAttemptAt: r.status === 'queued' ? new Date(r.next_attempt_at) : null,
      messageId: r.message_id,
      linkId: r.link_id,
      grantId: r.grant_id,
    }));
  }

  /** Messages per status, for metrics and readiness. */
  async countByStatus(): Promise<Record<MailStatus, number>> {
    const rows = await this.db.query<{ status: MailStatus; n: string | number }>(`SELECT status, count(*) AS n FROM mail_queue GROUP BY status`);
    const out: Record<MailStatus, number> = { queued: 0, sending: 0, sent: 0, failed: 0, suppressed: 0, withdrawn: 0 };
    for (const r of rows) {
      out[r.status] = Number(r.n);
    }
    return out;
  }
}
