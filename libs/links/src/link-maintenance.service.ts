import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AuditService, SYSTEM_CONTEXT } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { Database, RateLimiter } from '@mft/db';
import { MailQueue } from '@mft/mail';
import { StorageNotFoundError, StorageService } from '@mft/storage';
import { LinkNotices } from './link-notices.js';
import { sendFolder } from './send-upload.service.js';
import { EmailChallengeRepository } from './repositories/email-challenge.repository.js';
import { GrantRepository } from './repositories/grant.repository.js';
import { LinkRepository } from './repositories/link.repository.js';
import { PendingUploadRepository } from './repositories/pending-upload.repository.js';
import { RecipientSessionRepository } from './repositories/recipient-session.repository.js';
import { ResumableUploadService } from './uploads/resumable-upload.service.js';

/** A recipient's browser session unused this long is forgotten. */
const RECIPIENT_SESSION_IDLE_SECONDS = 30 * 86_400;

const BATCH = 100;

export interface SweepReport {
  expired: number;
  released: number;
  purged: number;
  abandonedUploads: number;
  /** Resumable uploads past their Upload-Expires, removed with their segments. */
  expiredUploads: number;
}

/**
 * The background sweeps: expire links, release abandoned claims, purge the copies of ended send
 * links, remove the bytes of dead uploads. Every step is a conditional statement, so any number of
 * replicas can sweep at once and each event is audited exactly once. State lives in the database,
 * so a restart loses nothing: the next sweep finishes what the last one started.
 */
@Injectable()
export class LinkMaintenanceService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly #logger = new Logger('Maintenance');
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<SweepReport> | null = null;

  constructor(
    private readonly db: Database,
    private readonly links: LinkRepository,
    private readonly grants: GrantRepository,
    private readonly pendingUploads: PendingUploadRepository,
    private readonly sessions: RecipientSessionRepository,
    private readonly challenges: EmailChallengeRepository,
    private readonly storage: StorageService,
    private readonly audit: AuditService,
    private readonly limiter: RateLimiter,
    private readonly config: AppConfigService,
    private readonly notices: LinkNotices,
    private readonly mail: MailQueue,
    private readonly resumableUploads: ResumableUploadService,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.jobs.intervalSeconds * 1000;
    const tick = (): void => {
      this.sweep()
        .catch((err: unknown) => this.#logger.error({ msg: 'maintenance sweep failed', err: String(err) }))
        .finally(() => {
          this.#timer = setTimeout(tick, every * (0.8 + Math.random() * 0.4));
          this.#timer.unref();
        });
    };
    this.#timer = setTimeout(tick, Math.min(every, 1000));
    this.#timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
    }
    await this.#running?.catch(() => undefined);
  }

  /** Runs one sweep now (one at a time per process). */
  sweep(): Promise<SweepReport> {
    this.#running ??= this.#sweep().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #sweep(): Promise<SweepReport> {
    const report: SweepReport = { expired: 0, released: 0, purged: 0, abandonedUploads: 0, expiredUploads: 0 };
    report.expired = await this.expire();
    report.released = await this.releaseClaims();
    report.purged = await this.purge();
    report.abandonedUploads = await this.removeAbandonedUploads();
    report.expiredUploads = await this.resumableUploads.sweepExpired();
    await this.limiter.sweep(86_400);
    await this.sessions.sweepSessions(RECIPIENT_SESSION_IDLE_SECONDS);
    // A challenge's attempts matter as long as its browser session can come back.
    await this.challenges.sweepChallenges(RECIPIENT_SESSION_IDLE_SECONDS);
    await this.mail.sweep();
    if (report.expired + report.released + report.purged + report.abandonedUploads + report.expiredUploads > 0) {
      this.#logger.log({ msg: 'maintenance sweep', ...report });
    }
    return report;
  }

  private async expire(): Promise<number> {
    return this.db.transaction(async () => {
      const ids = await this.links.expireDue(BATCH);
      if (ids.length > 0) {
        await this.audit.record(SYSTEM_CONTEXT, ...ids.map((id) => ({ type: 'link.expired' as const, linkId: id })));
      }
      for (const id of ids) {
        const [link, grants] = [await this.links.findLink(id), await this.grants.grantsOf(id)];
        if (link && grants.every((g) => g.downloads === 0)) {
          await this.notices.expiredUnused({ link, grants, files: await this.links.filesOf(id) });
        }
      }
      return ids.length;
    });
  }

  private async releaseClaims(): Promise<number> {
    return this.db.transaction(async () => {
      const released = await this.grants.releaseStaleClaims(this.config.links.claimGraceSeconds, BATCH);
      if (released.length > 0) {
        await this.audit.record(
          SYSTEM_CONTEXT,
          ...released.map((r) => ({
            type: 'grant.released' as const,
            linkId: r.linkId,
            grantId: r.grantId,
            details: { claimId: r.claimId, reason: 'claim idle past grace period, nothing delivered' },
          })),
        );
      }
      return released.length;
    });
  }

  /** Deletes the stored copies of ended send links, then marks them purged. Deleting twice is harmless. Share links are never purged. */
  private async purge(): Promise<number> {
    let purged = 0;
    for (const link of await this.links.purgeCandidates(BATCH)) {
      // A share link's files are the organisation's own, not copies: never deleted, whatever the query found.
      if (link.kind !== 'send') {
        continue;
      }
      const files = await this.links.filesOf(link.id);
      try {
        const driver = await this.storage.driver(link.storageConnection);
        for (const f of files) {
          await driver.delete(f.storageKey).catch((err: unknown) => {
            if (!(err instanceof StorageNotFoundError)) {
              throw err;
            }
          });
        }
        await driver.removeEmptyFolder(sendFolder(link.id));
      } catch (err) {
        this.#logger.warn({ msg: 'purge failed; will retry', linkId: link.id, err: String(err) });
        continue;
      }
      await this.db.transaction(async () => {
        if (await this.links.markPurged(link.id)) {
          purged++;
          await this.audit.record(SYSTEM_CONTEXT, {
            type: 'link.purged',
            linkId: link.id,
            bytes: files.reduce((n, f) => n + f.size, 0),
            details: { reason: link.endedReason, files: files.map((f) => ({ id: f.id, name: f.name, size: f.size })) },
          });
        }
      });
    }
    return purged;
  }

  private async removeAbandonedUploads(): Promise<number> {
    const stale = await this.pendingUploads.stalePending(this.config.jobs.staleUploadSeconds, BATCH);
    let removed = 0;
    for (const p of stale) {
      try {
        const driver = await this.storage.driver(p.connection);
        await driver.delete(p.key);
        await driver.discardStaged(p.key, p.id, p.stagingRef);
      } catch (err) {
        this.#logger.warn({ msg: 'could not remove an abandoned upload; will retry', key: p.key, err: String(err) });
        continue;
      }
      await this.db.transaction(async () => {
        await this.pendingUploads.deletePending([p.id]);
        await this.audit.record(SYSTEM_CONTEXT, { type: 'upload.abandoned', outcome: 'failure', details: { storageKey: p.key } });
      });
      removed++;
    }
    return removed;
  }
}
