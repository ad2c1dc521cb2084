import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditService, RefusalAuditService, type AccessContext, type AuditEvent } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { Clock, ConflictError, GoneError, hashToken, InvalidInputError, NotFoundError, randomToken, RateLimitedError } from '@mft/core';
import { Database, RateLimiter } from '@mft/db';
import { displayNameOf, hasRole, userActor, type User } from '@mft/identity';
import type { CreateSendLinkCommand } from './create-send-link.command.js';
import { GrantRules, senderContact, type Link, type LinkFile, type LinkKind, type LinkStatus } from './link.js';
import { ACTIVITY_EVENT_TYPES, toActivity, toLinkView, type LinkActivity, type LinkView } from './link-views.js';
import { applyPolicy, assertCreator, PolicyService, type Creator, type ResolvedLinkOptions } from '@mft/policy';
import { LinkNotices } from './link-notices.js';
import { GrantRepository } from './repositories/grant.repository.js';
import { LinkRepository } from './repositories/link.repository.js';
import { PendingUploadRepository } from './repositories/pending-upload.repository.js';
import { PasswordHasher } from '@mft/identity';
import { ShareLinksRepository } from './share-links.repository.js';
import { withShare } from './share-views.js';

/** The options every kind of link takes (a send link's command, or a share link's). */
export type LinkOptionsCommand = Omit<CreateSendLinkCommand, 'kind'>;

/** The answer to a created link: one URL per recipient grant. Tokens appear here once and never again. */
export interface CreatedLink {
  readonly id: string;
  readonly kind: LinkKind;
  readonly expiresAt: string | null;
  readonly grants: ReadonlyArray<{ id: string; recipient: string | null; url: string }>;
  /** A password the policy made the gateway generate: shown here once, for the sender to pass on. */
  readonly password?: string;
}

/** A new invitation: the grant's new address, shown here once, as in the answer to its creation. */
export interface ResentInvitation {
  readonly id: string;
  readonly recipient: string;
  readonly url: string;
}

/** What a reset grant's unfinished download had delivered, file by file, before it was reset. */
export interface GrantReset {
  readonly id: string;
  readonly recipient: string | null;
  readonly deliveredBytes: number;
  readonly files: ReadonlyArray<{ id: string; name: string; size: number; deliveredBytes: number }>;
}

/** A file already written to storage (under its final key) for a link that does not exist yet. */
export interface StagedFile {
  readonly id: string;
  readonly name: string;
  /** The name as the client sent it, invisible characters written out (`visibleFileName`), for the audit. */
  readonly originalName?: string;
  readonly size: number;
  readonly sha256: string;
  /** The CRC-32 of its bytes, computed with the SHA-256. */
  readonly crc32?: number;
  readonly contentType: string;
  readonly storageKey: string;
}

/** Link options after the policy is applied. */
export interface ResolvedOptions extends ResolvedLinkOptions {
  readonly recipients: readonly string[];
  readonly message: string | null;
  /** The owner's groups whose overrides shaped the options. */
  readonly policyGroups: readonly string[];
}

/** A link about to be written by `LinkService.writeLink`. */
export interface NewLink {
  readonly id: string;
  readonly kind: LinkKind;
  readonly owner: User;
  readonly connection: string;
  readonly options: ResolvedOptions;
  /** The files as the invitation lists them (a shared folder says so). */
  readonly invitationFiles: ReadonlyArray<Pick<LinkFile, 'name' | 'size'> & { readonly folder?: boolean }>;
  /** The rows of the link's kind (its files, a share's target), written in the link's transaction. */
  readonly writeContent: () => Promise<void>;
  /** What the `link.created` event says of the kind; the options and grants are added to it. */
  readonly audit: { readonly bytes: number | null; readonly details: Record<string, unknown> };
}

/** Upload size limits, and whether each is the policy's (a 422 policy refusal) or the installation's cap (413). */
export interface UploadLimits {
  readonly maxFileBytes: number;
  readonly maxTotalBytes: number;
  readonly fileLimitIsPolicy: boolean;
  readonly totalLimitIsPolicy: boolean;
}

/** The refusal to resend while a download holds the grant (a new address would cut it off). */
const grantInUse = (recipient: string): ConflictError =>
  new ConflictError(
    'grant_in_use',
    `${recipient} has started downloading, and a new address would cut the download off. Try again once it has finished; if it stopped part-way, reset the grant first (POST /api/v1/links/:id/grants/:grantId/reset), which tells you how much was delivered.`,
  );

/** Which links `LinkService.list` answers, a page at a time. */
export interface LinkListQuery {
  readonly limit: number;
  /** Only links created before this instant. */
  readonly before: Date | null;
  /** The `next` of the previous page. */
  readonly cursor: string | null;
  readonly status: LinkStatus | null;
  /** A part of a file name, a share's path or a recipient address, or the start of a link id. */
  readonly search: string | null;
  /** Only the links of the user with this username (case-insensitive); admins use it to see one person's links. */
  readonly owner?: string | null;
}

/** The most events a link's activity answers (its first ones). */
const MAX_ACTIVITY = 5000;

/** How the policy sees a link's creator. */
export const creatorOf = (user: User): Creator => ({ roles: user.roles, external: hasRole(user, 'external') });

/** Creates, reads and revokes links on behalf of their owners (and admins). */
@Injectable()
export class LinkService {
  constructor(
    private readonly db: Database,
    private readonly links: LinkRepository,
    private readonly grants: GrantRepository,
    private readonly pendingUploads: PendingUploadRepository,
    private readonly audit: AuditService,
    private readonly hasher: PasswordHasher,
    private readonly config: AppConfigService,
    private readonly clock: Clock,
    private readonly notices: LinkNotices,
    private readonly policies: PolicyService,
    private readonly limiter: RateLimiter,
    private readonly refusals: RefusalAuditService,
    private readonly shares: ShareLinksRepository,
  ) {}

  /**
   * Applies the owner's effective policy (the organisation's, tightened by their groups): missing
   * options get its defaults, and a request for less than it enforces is refused, naming the rule.
   * `fileSizes` are the files known so far (none before an upload starts).
   */
  async resolveOptions(owner: User, cmd: LinkOptionsCommand, fileSizes: readonly number[] = [], kind: LinkKind = 'send'): Promise<ResolvedOptions> {
    const policy = await this.policies.effectiveFor(owner.id);
    const recipients = [...new Map(cmd.recipients.map((r) => [r.toLowerCase(), r])).values()];
    const options = applyPolicy(
      policy,
      {
        kind,
        recipients,
        password: cmd.password === undefined ? undefined : cmd.password === '' ? null : cmd.password,
        requireEmailVerification: cmd.requireEmailVerification,
        oneTime: cmd.oneTime,
        maxDownloads: cmd.maxDownloads,
        expiresAt: cmd.expiresAt,
        notifySenderOnDownload: cmd.notifyOnDownload,
        emailRecipients: cmd.notify,
        fileSizes,
      },
      creatorOf(owner),
      this.clock.now(),
    );
    return { ...options, recipients, message: cmd.message?.trim() ? cmd.message.trim() : null, policyGroups: policy.appliedGroups };
  }

  /** Refuses (422) an owner whom the policy does not let create `kind` links, before any byte is taken for one. */
  async assertMayCreate(owner: User, kind: LinkKind): Promise<void> {
    assertCreator(await this.policies.effectiveFor(owner.id), kind, creatorOf(owner));
  }

  /** The size limits of an upload by `owner`: the policy's, within the installation's own caps. */
  async uploadLimits(owner: User): Promise<UploadLimits> {
    const { files } = await this.policies.effectiveFor(owner.id);
    const caps = this.config.links;
    return {
      maxFileBytes: Math.min(files.maxFileBytes, caps.maxFileBytes),
      maxTotalBytes: Math.min(files.maxTotalBytes, caps.maxTotalBytes),
      fileLimitIsPolicy: files.maxFileBytes <= caps.maxFileBytes,
      totalLimitIsPolicy: files.maxTotalBytes <= caps.maxTotalBytes,
    };
  }

  /**
   * Creates the link, its files and one grant per recipient in one transaction, with its audit event.
   * The files' pending-upload records are removed in the same transaction, so a crash leaves either a
   * complete link or bytes that the maintenance sweep removes.
   */
  async createSend(linkId: string, owner: User, cmd: CreateSendLinkCommand, files: readonly StagedFile[], connection: string, ctx: AccessContext): Promise<CreatedLink> {
    if (files.length === 0) {
      throw new InvalidInputError('no_files', 'A send link needs at least one file: add one or more file parts to the form.');
    }
    const options = await this.resolveOptions(owner, cmd, files.map((f) => f.size));
    return this.writeLink({
      id: linkId,
      kind: 'send',
      owner,
      connection,
      options,
      invitationFiles: files,
      writeContent: async () => {
        let position = 0;
        for (const f of files) {
          const file: LinkFile = { ...f, linkId, position: position++ };
          await this.links.insertFile(file);
        }
        await this.pendingUploads.deletePending(files.map((f) => f.id));
      },
      audit: {
        bytes: files.reduce((n, f) => n + f.size, 0),
        details: {
          kind: 'send',
          files: files.map((f) => ({
            id: f.id,
            name: f.name,
            ...(f.originalName !== undefined && f.originalName !== f.name ? { originalName: f.originalName } : {}),
            size: f.size,
            sha256: f.sha256,
          })),
        },
      },
    }, ctx);
  }

  /**
   * Writes a new link of any kind in one transaction: its row, what its kind adds (`writeContent`:
   * files, a share's target), one grant per recipient (or one without a recipient), the queued
   * invitations and the `link.created` audit event with every option. Answers the grants' URLs,
   * the only time their tokens are shown.
   */
  async writeLink(n: NewLink, ctx: AccessContext): Promise<CreatedLink> {
    const { id: linkId, owner, options } = n;
    const passwordHash = options.password ? await this.hasher.hash(options.password) : null;
    const grants = (options.recipients.length > 0 ? options.recipients : [null]).map((recipient) => ({ id: randomUUID(), recipient, token: randomToken(32) }));
    const base = await this.notices.linkBaseUrl(owner.id);
    const emailed = (recipient: string | null): recipient is string => recipient !== null && options.emailRecipients;
    await this.db.transaction(async () => {
      await this.links.insertLink({
        id: linkId,
        kind: n.kind,
        ownerId: owner.id,
        storageConnection: n.connection,
        oneTime: options.oneTime,
        maxDownloads: options.maxDownloads,
        expiresAt: options.expiresAt,
        passwordHash,
        requireEmailVerification: options.requireEmailVerification,
        message: options.message,
        emailRecipients: options.emailRecipients,
        notifyOnDownload: options.notifySenderOnDownload,
      });
      await n.writeContent();
      for (const g of grants) {
        await this.grants.insertGrant({ id: g.id, linkId, tokenHash: hashToken(g.token).toString('hex'), recipient: g.recipient, deliveryStatus: emailed(g.recipient) ? 'queued' : null });
      }
      for (const g of grants) {
        if (emailed(g.recipient)) {
          await this.notices.invite({
            linkId,
            ownerId: owner.id,
            grantId: g.id,
            recipient: g.recipient,
            url: `${base}/l/${g.token}`,
            sender: { name: displayNameOf(owner), email: owner.email },
            options: { ...options, passwordProtected: options.password !== null },
            files: n.invitationFiles,
          });
        }
      }
      await this.audit.record(ctx, {
        type: 'link.created',
        linkId,
        bytes: n.audit.bytes,
        details: {
          ...n.audit.details,
          grants: grants.map((g) => ({ id: g.id, recipient: g.recipient })),
          oneTime: options.oneTime,
          maxDownloads: options.maxDownloads,
          expiresAt: options.expiresAt?.toISOString() ?? null,
          passwordProtected: passwordHash !== null,
          requireEmailVerification: options.requireEmailVerification,
          emailRecipients: options.emailRecipients,
          notifyOnDownload: options.notifySenderOnDownload,
          passwordGenerated: options.passwordGenerated,
          policyGroups: options.policyGroups,
        },
      });
    });
    return {
      id: linkId,
      kind: n.kind,
      expiresAt: options.expiresAt?.toISOString() ?? null,
      grants: grants.map((g) => ({ id: g.id, recipient: g.recipient, url: `${base}/l/${g.token}` })),
      ...(options.passwordGenerated && options.password ? { password: options.password } : {}),
    };
  }

  /** A link its viewer may see: their own, or any for an admin. Others get 404, so ids are not confirmed. */
  async get(linkId: string, viewer: User, ctx?: AccessContext): Promise<LinkView> {
    const link = await this.visibleLink(linkId, viewer, ctx);
    const [files, grants] = [await this.links.filesOf(link.id), await this.grants.grantsOf(link.id)];
    const view = toLinkView(link, files, grants, this.clock.now(), await this.grants.claimDeliveredBytes(grants.map((g) => g.id)));
    return link.kind === 'share' ? withShare(view, link, await this.shares.shareOf(link.id)) : view;
  }

  /**
   * One page of the links its viewer may see (their own; every link for an admin), newest first,
   * and the cursor of the next page (the id of this page's last link), or null when this is the last.
   */
  async list(viewer: User, q: LinkListQuery): Promise<{ links: LinkView[]; next: string | null }> {
    const owner = hasRole(viewer, 'admin') ? null : viewer.id;
    const now = this.clock.now();
    const found = await this.links.listLinks({ ownerId: owner, limit: q.limit + 1, before: q.before, after: q.cursor, status: q.status, search: q.search, ownerName: q.owner ?? null, now });
    const links = found.slice(0, q.limit);
    const next = found.length > q.limit ? links[links.length - 1]!.id : null;
    return { links: await this.views(links, now), next };
  }

  /**
   * What happened to a link, recipient by recipient, oldest first, from the audit log: invitations
   * delivered, pages opened, emails verified, downloads started and completed. Visible as the link is.
   */
  async activity(linkId: string, viewer: User, ctx?: AccessContext): Promise<LinkActivity[]> {
    const link = await this.visibleLink(linkId, viewer, ctx);
    const files = await this.links.filesOf(link.id);
    const events: AuditEvent[] = [];
    for await (const e of this.audit.events({ linkId: link.id, types: ACTIVITY_EVENT_TYPES })) {
      events.push(e);
      if (events.length >= MAX_ACTIVITY) {
        break;
      }
    }
    return toActivity(events, files);
  }

  private async views(links: readonly Link[], now: Date): Promise<LinkView[]> {
    const ids = links.map((l) => l.id);
    const [files, grants] = [await this.links.filesOfLinks(ids), await this.grants.grantsOfLinks(ids)];
    const delivered = await this.grants.claimDeliveredBytes(grants.map((g) => g.id));
    const shares = await this.shares.sharesOf(links.filter((l) => l.kind === 'share').map((l) => l.id));
    return links.map((link) =>
      withShare(
        toLinkView(
          link,
          files.filter((f) => f.linkId === link.id),
          grants.filter((g) => g.linkId === link.id),
          now,
          delivered,
        ),
        link,
        shares.get(link.id),
      ),
    );
  }

  /** Ends every grant of the link at once. Revoking twice is not an error. */
  async revoke(linkId: string, viewer: User, ctx: AccessContext): Promise<void> {
    const link = await this.visibleLink(linkId, viewer, ctx);
    await this.db.transaction(async () => {
      if (await this.links.revokeLink(link.id)) {
        await this.audit.record(ctx, { type: 'link.revoked', linkId: link.id });
      }
    });
  }

  /** Ends one recipient's access, leaving the others. */
  async revokeGrant(linkId: string, grantId: string, viewer: User, ctx: AccessContext): Promise<void> {
    const { link, grant } = await this.visibleGrant(linkId, grantId, viewer, ctx);
    await this.db.transaction(async () => {
      if (await this.grants.revokeGrant(grant.id)) {
        const events: Parameters<AuditService['record']>[1][] = [{ type: 'grant.revoked', linkId: link.id, grantId: grant.id }];
        const ended = await this.links.endLinkIfAllGrantsEnded(link.id);
        if (ended) {
          events.push({ type: ended === 'revoked' ? 'link.revoked' : 'link.consumed', linkId: link.id, details: { reason: 'no grant left' } });
        }
        await this.audit.record(ctx, ...events);
      }
    });
  }

  /**
   * Emails a recipient a new invitation with a new address. Only token hashes are kept, so the old
   * address cannot be sent again: it stops working at once, invitations to it still waiting in the
   * queue are withdrawn, and the grant's delivery tracking starts over. For a message that bounced,
   * was lost, or went to a mailbox the recipient can no longer read.
   */
  async resendInvitation(linkId: string, grantId: string, viewer: User, ctx: AccessContext): Promise<ResentInvitation> {
    const { link, grant } = await this.visibleGrant(linkId, grantId, viewer, ctx);
    const rules = new GrantRules(link, grant);
    const now = this.clock.now();
    const refusal = rules.resendRefusal(now);
    const recipient = grant.recipient;
    if (refusal === 'no_recipient' || recipient === null) {
      throw new ConflictError('grant_has_no_recipient', 'This link was made for no particular recipient, so there is nobody to email. Share its address yourself, or create a link with recipients.');
    }
    if (refusal === 'ended') {
      const ended = rules.reportedEndReason(now);
      throw new GoneError('grant_ended', `The link for ${recipient} has ended (${ended}), so it cannot be sent again. Create a new link to send the files.`, { reason: ended });
    }
    if (refusal === 'in_use') {
      throw grantInUse(recipient);
    }
    const rule = this.config.rateLimits.resendPerGrant;
    const limitKey = `resend:grant:${grant.id}`;
    const decision = await this.limiter.hit(limitKey, rule.max, rule.windowSeconds);
    if (!decision.allowed) {
      throw new RateLimitedError('resend_rate_limited', `${recipient} has been sent ${rule.max} new invitations recently. Wait before sending another.`, decision.retryAfterSeconds);
    }
    const token = randomToken(32);
    const url = `${await this.notices.linkBaseUrl(link.ownerId)}/l/${token}`;
    const files = await this.links.filesOf(link.id);
    try {
      await this.db.transaction(async () => {
        if (!(await this.grants.rotateToken(grant.id, hashToken(token).toString('hex')))) {
          throw grantInUse(recipient);
        }
        const withdrawn = await this.notices.withdrawInvitations(grant.id);
        await this.notices.invite({
          linkId: link.id,
          ownerId: link.ownerId,
          grantId: grant.id,
          recipient,
          url,
          sender: senderContact(link),
          options: { ...link, passwordProtected: link.passwordHash !== null },
          files,
        });
        await this.audit.record(ctx, { type: 'grant.invitation_resent', linkId: link.id, grantId: grant.id, details: { recipient, withdrawnUnsent: withdrawn } });
      });
    } catch (err) {
      // Nothing was sent: the attempt does not count against the recipient's allowance.
      await this.limiter.giveBack(limitKey);
      throw err;
    }
    return { id: grant.id, recipient, url };
  }

  /**
   * The sender's (or an admin's) way out of a download that stopped part way: a claim that has
   * delivered bytes stays with its session until the link ends, so only this hands the grant to a
   * new download from any session. Answers (and audits) what the old claim had delivered.
   */
  async resetGrant(linkId: string, grantId: string, viewer: User, ctx: AccessContext): Promise<GrantReset> {
    const { link, grant } = await this.visibleGrant(linkId, grantId, viewer, ctx);
    const who = grant.recipient ?? 'this recipient';
    const reason = new GrantRules(link, grant).reportedEndReason(this.clock.now());
    if (reason) {
      throw new GoneError('grant_ended', `The link for ${who} has ended (${reason}), so there is no download to reset.`, { reason });
    }
    const files = await this.links.filesOf(link.id);
    return this.db.transaction(async () => {
      const current = await this.grants.lockGrant(grant.id);
      const claimId = current?.status === 'active' ? current.claimId : null;
      if (!claimId) {
        throw new ConflictError('grant_not_claimed', `No download of the link for ${who} is under way or unfinished, so there is nothing to reset.`);
      }
      const delivered = await this.grants.deliveredOf(claimId);
      await this.grants.resetClaim(grant.id, claimId);
      const perFile = files.map((f) => ({ id: f.id, name: f.name, size: f.size, deliveredBytes: delivered.get(f.id) ?? 0 }));
      const deliveredBytes = perFile.reduce((n, f) => n + f.deliveredBytes, 0);
      await this.audit.record(ctx, {
        type: 'grant.reset',
        linkId: link.id,
        grantId: grant.id,
        bytes: deliveredBytes,
        details: { claimId, deliveredBytes, files: perFile },
      });
      return { id: grant.id, recipient: grant.recipient, deliveredBytes, files: perFile };
    });
  }

  private async visibleGrant(linkId: string, grantId: string, viewer: User, ctx?: AccessContext) {
    const link = await this.visibleLink(linkId, viewer, ctx);
    const grant = await this.grants.findGrant(grantId);
    if (!grant || grant.linkId !== link.id) {
      throw new NotFoundError('grant_not_found', 'This link has no such recipient grant.');
    }
    return { link, grant };
  }

  /** `ctx`: who asks and from where, for the audit of a refused look at another user's link. */
  private async visibleLink(linkId: string, viewer: User, ctx: AccessContext = { actor: userActor(viewer), ip: null, userAgent: null }) {
    const link = /^[0-9a-f-]{36}$/i.test(linkId) ? await this.links.findLink(linkId) : null;
    if (link && link.ownerId !== viewer.id && !hasRole(viewer, 'admin')) {
      await this.refusals.record(ctx, { type: 'link.access_denied', linkId: link.id, details: { reason: 'not the owner' } });
    }
    if (!link || (link.ownerId !== viewer.id && !hasRole(viewer, 'admin'))) {
      throw new NotFoundError('link_not_found', 'There is no link with this id that you can see.');
    }
    return link;
  }
}
