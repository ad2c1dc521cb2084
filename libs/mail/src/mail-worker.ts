import { Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { AuditService, SYSTEM_CONTEXT } from '@mft/audit';
import { DEFAULT_BRAND, templateBrandOf } from '@mft/branding';
import { AppConfigService } from '@mft/config';
import type { SecretBox } from '@mft/core';
import { Database } from '@mft/db';
import { MailQueue, mailPayloadBox } from './mail-queue.js';
import { MailQueueRepository, type QueuedMail } from './mail-queue.repository.js';
import { MAIL_TEMPLATES, MailRenderer, type MailTemplate } from './mail-templates.js';
import { MailTransport, PermanentMailError, type MailReceipt } from './mail-transport.js';

/** What a message's sender wants to know about it; called inside the transaction that records the outcome. */
export interface MailObserver {
  delivered(mail: QueuedMail, receipt: MailReceipt): Promise<void>;
  /** `final`: no further attempt will be made. */
  failed(mail: QueuedMail, reason: string, final: boolean): Promise<void>;
}

const BATCH = 10;

/**
 * The From header: the brand's name as display name, with the address of `mail.from`. A display
 * name written in `mail.from` (MAIL_FROM) stands in for the built-in brand name until an
 * administrator names the brand.
 */
export function fromHeader(configured: string, brandName: string): string {
  const m = /^\s*(.*?)\s*<([^<>\s]+)>\s*$/.exec(configured);
  const address = m ? m[2]! : configured.trim();
  const configuredName = m ? m[1]!.replace(/^"(.*)"$/, '$1').trim() : '';
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const name = (brandName === DEFAULT_BRAND.name && configuredName !== '' ? configuredName : brandName).replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return `"${name.replace(/["\\]/g, '\\$&')}" <${address}>`;
}

/**
 * Sends queued mail. Any number of workers (one per process, on every replica) share the queue:
 * each message is taken by one of them under a lease, sent, and its outcome recorded with its
 * audit event. A failure is retried with doubling back-off; a 5xx refusal or the last attempt
 * marks it failed. A worker that dies mid-send leaves its lease to run out, and the message is
 * sent again with the same Message-ID.
 */
@Injectable()
export class MailWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly #logger = new Logger('Mail');
  readonly #observers = new Map<string, MailObserver>();
  readonly #box: SecretBox;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<number> | null = null;
  #again = false;
  #stopped = false;
  readonly #outcomes: Counter<'outcome'> | null = null;

  constructor(
    private readonly db: Database,
    private readonly repo: MailQueueRepository,
    private readonly queue: MailQueue,
    private readonly transport: MailTransport,
    private readonly renderer: MailRenderer,
    private readonly audit: AuditService,
    private readonly config: AppConfigService,
    @Optional() registry?: Registry,
  ) {
    this.#box = mailPayloadBox(config);
    if (registry) {
      this.#outcomes = new Counter({ name: 'mft_mail_attempts_total', help: 'Mail send attempts by outcome (sent, deferred, failed)', labelNames: ['outcome'], registers: [registry] });
      const repo = this.repo;
      new Gauge({
        name: 'mft_mail_queue_messages',
        help: 'Messages in the mail queue by status (shared by all replicas)',
        labelNames: ['status'],
        registers: [registry],
        async collect() {
          for (const [status, n] of Object.entries(await repo.countByStatus())) {
            this.set({ status }, n);
          }
        },
      });
    }
  }

  observe(template: MailTemplate, observer: MailObserver): void {
    this.#observers.set(template, observer);
  }

  onApplicationBootstrap(): void {
    this.queue.onEnqueued(() => this.wake());
    this.#schedule(Math.min(1000, this.config.mail.pollSeconds * 1000));
    this.#logger.log({ msg: 'mail worker started', channel: this.transport.channel, ...(this.transport.channel === 'outbox' ? { outbox: this.transport.outboxDir } : {}) });
  }

  async onApplicationShutdown(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) {
      clearTimeout(this.#timer);
    }
    await this.#running?.catch(() => undefined);
  }

  /** Sends what is due now (or soon after the current run, when one is under way). */
  wake(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    void this.runOnce();
  }

  /** Sends every message that is due; returns how many were handled. One run at a time per process. */
  runOnce(): Promise<number> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#drain()
      .catch((err: unknown) => {
        this.#logger.error({ msg: 'mail run failed', err: String(err) });
        return 0;
      })
      .finally(() => {
        this.#running = null;
        if (this.#again && !this.#stopped) {
          this.#again = false;
          this.wake();
        }
      });
    return this.#running;
  }

  #schedule(ms: number): void {
    if (this.#stopped) {
      return;
    }
    this.#timer = setTimeout(() => {
      void this.runOnce().finally(() => this.#schedule(this.config.mail.pollSeconds * 1000 * (0.8 + Math.random() * 0.4)));
    }, ms);
    this.#timer.unref();
  }

  async #drain(): Promise<number> {
    let handled = 0;
    const lease = this.config.mail.timeoutSeconds * 3;
    for (;;) {
      const batch = await this.repo.claimDue(BATCH, lease);
      for (const mail of batch) {
        if (this.#stopped) {
          return handled; // the lease runs out and another worker (or the next start) sends it
        }
        await this.#deliver(mail);
        handled++;
      }
      if (batch.length < BATCH) {
        return handled;
      }
    }
  }

  async #deliver(mail: QueuedMail): Promise<void> {
    const observer = this.#observers.get(mail.template);
    let receipt: MailReceipt;
    try {
      if (!mail.sealedPayload || !(MAIL_TEMPLATES as readonly string[]).includes(mail.template)) {
        throw new PermanentMailError(`the queued message has no content for template ${mail.template}`);
      }
      const queued = JSON.parse(this.#box.open(mail.sealedPayload)) as Record<string, unknown>;
      // Messages queued before brands were objects carry the name alone.
      const data = { ...queued, brand: templateBrandOf(queued.brand, this.config.publicUrl) };
      const rendered = await this.renderer.render(mail.template as MailTemplate, data);
      // Withdrawn since it was taken (a new invitation replaced it): not sent.
      if (!(await this.repo.stillSending(mail.id, mail.attempts))) {
        this.#logger.log({ msg: 'mail withdrawn before sending', template: mail.template, messageId: mail.messageId });
        return;
      }
      receipt = await this.transport.send({ from: fromHeader(this.config.mail.from, data.brand.name), to: mail.to, messageId: mail.messageId, ...rendered });
    } catch (err) {
      await this.#failed(mail, observer, err);
      return;
    }
    await this.db.transaction(async () => {
      if (!(await this.repo.markSent(mail.id, mail.attempts))) {
        // Withdrawn while the mail server was taking it: it went out, and the record says so (the
        // grant's delivery tracking belongs to the message that replaced it).
        if (await this.repo.markSentAfterWithdrawal(mail.id, mail.attempts)) {
          this.#outcomes?.inc({ outcome: 'sent' });
          await this.audit.record(SYSTEM_CONTEXT, {
            type: 'mail.sent',
            linkId: mail.linkId,
            grantId: mail.grantId,
            details: { template: mail.template, to: mail.to, messageId: mail.messageId, attempts: mail.attempts, channel: receipt.channel, response: receipt.detail, withdrawn: true },
          });
        }
        return;
      }
      this.#outcomes?.inc({ outcome: 'sent' });
      await observer?.delivered(mail, receipt);
      await this.audit.record(SYSTEM_CONTEXT, {
        type: 'mail.sent',
        linkId: mail.linkId,
        grantId: mail.grantId,
        details: { template: mail.template, to: mail.to, messageId: mail.messageId, attempts: mail.attempts, channel: receipt.channel, response: receipt.detail },
      });
    });
  }

  async #failed(mail: QueuedMail, observer: MailObserver | undefined, err: unknown): Promise<void> {
    const reason = err instanceof Error ? err.message : String(err);
    const final = err instanceof PermanentMailError || mail.attempts >= this.config.mail.maxAttempts;
    const { retryBaseSeconds, retryMaxSeconds } = this.config.mail;
    const delay = Math.min(retryMaxSeconds, retryBaseSeconds * 2 ** (mail.attempts - 1)) * (0.8 + Math.random() * 0.4);
    await this.db.transaction(async () => {
      const recorded = final ? await this.repo.markFailed(mail.id, mail.attempts, reason) : await this.repo.markRetry(mail.id, mail.attempts, delay, reason);
      if (!recorded) {
        return;
      }
      this.#outcomes?.inc({ outcome: final ? 'failed' : 'deferred' });
      await observer?.failed(mail, reason, final);
      await this.audit.record(SYSTEM_CONTEXT, {
        type: final ? 'mail.failed' : 'mail.deferred',
        outcome: 'failure',
        linkId: mail.linkId,
        grantId: mail.grantId,
        details: { template: mail.template, to: mail.to, messageId: mail.messageId, attempts: mail.attempts, error: reason, ...(final ? {} : { retryInSeconds: Math.round(delay) }) },
      });
    });
    this.#logger.warn({ msg: final ? 'mail failed' : 'mail deferred', template: mail.template, attempts: mail.attempts, error: reason });
  }
}
