import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfigService } from '@mft/config';
import { SecretBox } from '@mft/core';
import { Database } from '@mft/db';
import type { MailTemplate } from './mail-templates.js';
import { MailQueueRepository, type MailListQuery, type MailMessageView } from './mail-queue.repository.js';

/** A message to send: a template and its data, to one address. */
export interface OutgoingMail {
  readonly template: MailTemplate;
  readonly to: string;
  readonly data: Record<string, unknown>;
  readonly linkId?: string | null;
  readonly grantId?: string | null;
  /** A message with a key that is already queued is not queued again (e.g. one notice per link). */
  readonly dedupeKey?: string | null;
  /**
   * Recorded but never sent. Callers that must not reveal whether a message went out (email
   * verification of an address that is not allowed) do the same work either way.
   */
  readonly suppressed?: boolean;
}

/** The payload is sealed with the gateway's key: a queued invitation holds a link address. */
export const mailPayloadBox = (config: AppConfigService): SecretBox => new SecretBox(config.secretKey, 'mail-payload');

/**
 * Puts messages on the durable queue, in the caller's transaction: a link and its invitations
 * commit together, and the worker is woken once they have.
 */
@Injectable()
export class MailQueue {
  readonly #box: SecretBox;
  readonly #wakers = new Set<() => void>();

  constructor(
    private readonly db: Database,
    private readonly repo: MailQueueRepository,
    private readonly config: AppConfigService,
  ) {
    this.#box = mailPayloadBox(config);
  }

  /** Returns the message id, or null when a message with the same dedupe key was already queued. */
  async enqueue(mail: OutgoingMail): Promise<string | null> {
    const id = randomUUID();
    const host = new URL(this.config.publicUrl).hostname || 'localhost';
    const sealed = this.#box.seal(JSON.stringify(mail.data));
    const added = await this.repo.insert({
      id,
      template: mail.template,
      to: mail.to,
      sealedPayload: mail.suppressed ? null : sealed,
      status: mail.suppressed ? 'suppressed' : 'queued',
      messageId: `<${id}@${host}>`,
      linkId: mail.linkId ?? null,
      grantId: mail.grantId ?? null,
      dedupeKey: mail.dedupeKey ?? null,
    });
    if (added && !mail.suppressed) {
      this.db.afterCommit(() => this.#wakers.forEach((wake) => wake()));
    }
    return added ? id : null;
  }

  /**
   * Withdraws the messages of `template` about `grantId` that have not been sent, also one a worker
   * is sending at this moment (unless the mail server has already begun to take it); returns how many.
   */
  withdraw(grantId: string, template: string): Promise<number> {
    return this.repo.withdrawUnsent(grantId, template);
  }

  /** The queue as an administrator sees it (no message content). */
  list(q: MailListQuery): Promise<MailMessageView[]> {
    return this.repo.list(q);
  }

  /** Forgets finished messages older than `mail.retentionDays`; returns how many. */
  sweep(): Promise<number> {
    return this.repo.deleteFinished(this.config.values.mail.retentionDays * 86_400);
  }

  /** Called by the worker: run `wake` when new mail has been committed. */
  onEnqueued(wake: () => void): void {
    this.#wakers.add(wake);
  }
}
