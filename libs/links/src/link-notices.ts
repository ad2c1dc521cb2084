import { Injectable, type OnModuleInit } from '@nestjs/common';
import { BrandingService, type TemplateBrand } from '@mft/branding';
import { formatBytes } from '@mft/core';
import { MailQueue, MailWorker } from '@mft/mail';
import { GrantRules, type Grant, type Link, type LinkFile } from './link.js';
import { GrantRepository } from './repositories/grant.repository.js';

/** What an invitation tells the recipient about the link. */
export interface InvitationOptions {
  readonly expiresAt: Date | null;
  readonly oneTime: boolean;
  readonly maxDownloads: number | null;
  readonly passwordProtected: boolean;
  readonly requireEmailVerification: boolean;
  readonly message: string | null;
}

/** One line of an email's list: a file with its size, or a shared folder (whose size is what it holds when opened). */
type ListedFile = Pick<LinkFile, 'name' | 'size'> & { readonly folder?: boolean };
const fileList = (files: ReadonlyArray<ListedFile>) => files.map((f) => ({ name: f.name, sizeText: f.folder ? 'a shared folder' : formatBytes(f.size) }));
const when = (d: Date | null): string | null => d?.toUTCString() ?? null;

/**
 * The emails about links: each recipient's invitation, verification codes, and the sender's
 * notices. Each is queued in the caller's transaction, so it goes out if and only if the change
 * it reports commits. Delivery of invitations is tracked on the grant.
 */
@Injectable()
export class LinkNotices implements OnModuleInit {
  constructor(
    private readonly mail: MailQueue,
    private readonly worker: MailWorker,
    private readonly grants: GrantRepository,
    private readonly branding: BrandingService,
  ) {}

  /** The brand of a user's links as the message's templates see it, fixed when it is queued (absolute URLs: it is read in a mail client). */
  private brand(ownerId: string): Promise<TemplateBrand> {
    return this.branding.mailBrandOfUser(ownerId);
  }

  /** The base of the grant URLs of a user's links: their brand's public URL (PUBLIC_URL for the default brand). */
  linkBaseUrl(ownerId: string): Promise<string> {
    return this.branding.linkBaseUrl(ownerId);
  }

  onModuleInit(): void {
    this.worker.observe('recipient-invitation', {
      delivered: async (m, receipt) => {
        if (m.grantId) {
          await this.grants.setDelivery(m.grantId, receipt.channel === 'smtp' ? 'sent' : 'outbox', null, m.id);
        }
      },
      failed: async (m, reason, final) => {
        if (m.grantId) {
          await this.grants.setDelivery(m.grantId, final ? 'failed' : 'queued', reason, m.id);
        }
      },
    });
  }

  async invite(a: {
    linkId: string;
    /** The link's owner, whose brand the invitation carries. */
    ownerId: string;
    grantId: string;
    recipient: string;
    url: string;
    sender: { name: string; email: string | null };
    options: InvitationOptions;
    files: ReadonlyArray<ListedFile>;
  }): Promise<void> {
    const { options, files } = a;
    await this.mail.enqueue({
      template: 'recipient-invitation',
      to: a.recipient,
      linkId: a.linkId,
      grantId: a.grantId,
      data: {
        brand: await this.brand(a.ownerId),
        senderName: a.sender.name,
        senderEmail: a.sender.email,
        recipient: a.recipient,
        url: a.url,
        message: options.message,
        expiresAtText: when(options.expiresAt),
        oneTime: options.oneTime,
        maxDownloads: options.oneTime ? null : options.maxDownloads,
        needsPassword: options.passwordProtected,
        needsEmailCode: options.requireEmailVerification,
        files: fileList(files),
        fileCount: files.length,
        single: files.length === 1,
        folder: files.length === 1 && files[0]!.folder === true,
        totalText: formatBytes(files.reduce((n, f) => n + (f.folder ? 0 : f.size), 0)),
      },
    });
  }

  /** Withdraws a grant's invitations that are still waiting to be sent (their link no longer works). */
  async withdrawInvitations(grantId: string): Promise<number> {
    return this.mail.withdraw(grantId, 'recipient-invitation');
  }

  /** The code that proves a recipient owns `email`; `suppressed` when the address is not allowed (nothing is sent). */
  async verificationCode(a: { link: Link; grant: Grant; email: string; code: string; minutes: number; suppressed: boolean }): Promise<void> {
    await this.mail.enqueue({
      template: 'verification-code',
      to: a.email,
      linkId: a.link.id,
      grantId: null,
      suppressed: a.suppressed,
      data: { brand: await this.brand(a.link.ownerId), code: a.code, minutes: a.minutes, senderName: a.link.ownerDisplayName },
    });
  }

  /** Tells the sender that a recipient completed a download. `who` is the verified email, when there is one. */
  async downloaded(a: { link: Link; grant: Grant; who: string | null; ip: string | null; downloads: number; files: readonly LinkFile[]; at: Date }): Promise<void> {
    const { link, grant } = a;
    if (!link.notifyOnDownload || !link.ownerEmail) {
      return;
    }
    const left = new GrantRules(link, { ...grant, downloads: a.downloads }).remainingDownloads();
    await this.mail.enqueue({
      template: 'download-notification',
      to: link.ownerEmail,
      linkId: link.id,
      dedupeKey: `downloaded:${grant.id}:${a.downloads}`,
      data: {
        brand: await this.brand(link.ownerId),
        who: a.who ?? (grant.recipient ? `Someone using the link sent to ${grant.recipient}` : 'Someone with the link'),
        atText: a.at.toUTCString(),
        ip: a.ip,
        linkId: link.id,
        files: fileList(a.files),
        fileCount: a.files.length,
        single: a.files.length === 1,
        firstName: a.files[0]?.name ?? 'your file',
        remainingText: left === null ? null : left === 0 ? 'The link cannot be downloaded again by this recipient.' : `${left} download${left === 1 ? '' : 's'} left for this recipient.`,
      },
    });
  }

  /** Tells the sender that a link expired before anyone downloaded it (once per link). */
  async expiredUnused(a: { link: Link; grants: readonly Grant[]; files: readonly LinkFile[] }): Promise<void> {
    const { link } = a;
    if (!link.notifyOnDownload || !link.ownerEmail) {
      return;
    }
    await this.mail.enqueue({
      template: 'expired-unused',
      to: link.ownerEmail,
      linkId: link.id,
      dedupeKey: `expired-unused:${link.id}`,
      data: {
        brand: await this.brand(link.ownerId),
        linkId: link.id,
        createdAtText: when(link.createdAt),
        expiredAtText: when(link.expiresAt),
        recipients: a.grants.map((g) => g.recipient).filter(Boolean).join(', '),
        files: fileList(a.files),
        purges: link.kind === 'send',
      },
    });
  }
}
