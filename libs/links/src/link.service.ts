import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditService, type AccessContext } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { Clock, DomainError, hashToken, InvalidInputError, NotFoundError, randomToken } from '@mft/core';
import { Database } from '@mft/db';
import { hasRole, type User } from '@mft/identity';
import type { CreateSendLinkCommand } from './create-send-link.command.js';
import type { LinkFile } from './link.js';
import { toLinkView, type LinkView } from './link-views.js';
import { LinkNotices } from './link-notices.js';
import { LinksRepository } from './links.repository.js';
import { PasswordHasher } from '@mft/identity';

/** The answer to a created link: one URL per recipient grant. Tokens appear here once and never again. */
export interface CreatedLink {
  readonly id: string;
  readonly kind: 'send';
  readonly expiresAt: string | null;
  readonly grants: ReadonlyArray<{ id: string; recipient: string | null; url: string }>;
}

/** A file already written to storage (under its final key) for a link that does not exist yet. */
export interface StagedFile {
  readonly id: string;
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  readonly contentType: string;
  readonly storageKey: string;
}

/** Link options after the rules are applied. */
export interface ResolvedOptions {
  readonly recipients: readonly string[];
  readonly oneTime: boolean;
  readonly maxDownloads: number | null;
  readonly expiresAt: Date;
  readonly password: string | null;
  readonly message: string | null;
  readonly requireEmailVerification: boolean;
  readonly emailRecipients: boolean;
  readonly notifyOnDownload: boolean;
}

const DAY_MS = 86_400_000;

class PolicyError extends DomainError {
  constructor(rule: string, message: string, details: Record<string, unknown> = {}) {
    super('policy', `policy_${rule}`, message, details);
  }
}

/** Creates, reads and revokes links on behalf of their owners (and admins). */
@Injectable()
export class LinkService {
  constructor(
    private readonly db: Database,
    private readonly links: LinksRepository,
    private readonly audit: AuditService,
    private readonly hasher: PasswordHasher,
    private readonly config: AppConfigService,
    private readonly clock: Clock,
    private readonly notices: LinkNotices,
  ) {}

  /** Applies defaults and limits; throws, naming the rule, when a request asks for what is not allowed. */
  resolveOptions(cmd: CreateSendLinkCommand): ResolvedOptions {
    const now = this.clock.now();
    const rules = this.config.links;
    if (cmd.oneTime && cmd.maxDownloads !== undefined && cmd.maxDownloads !== 1) {
      throw new InvalidInputError(
        'one_time_conflicts_with_max_downloads',
        'oneTime allows exactly one download; leave maxDownloads out or set it to 1.',
      );
    }
    const maxExpiry = new Date(now.getTime() + rules.maxExpiryDays * DAY_MS);
    const expiresAt = cmd.expiresAt ?? new Date(now.getTime() + rules.defaultExpiryDays * DAY_MS);
    if (expiresAt.getTime() <= now.getTime()) {
      throw new InvalidInputError('expiry_in_past', 'expiresAt must be in the future.');
    }
    if (expiresAt.getTime() > maxExpiry.getTime() + 60_000) {
      throw new PolicyError('expiry_too_long', `policy_expiry_too_long: maximum is ${rules.maxExpiryDays} days from now (until ${maxExpiry.toISOString()}).`, {
        maxDays: rules.maxExpiryDays,
      });
    }
    const password = cmd.password ? cmd.password : null;
    if (password !== null && [...password].length < rules.passwordMinLength) {
      throw new PolicyError('password_too_short', `policy_password_too_short: a link password needs at least ${rules.passwordMinLength} characters.`, {
        minLength: rules.passwordMinLength,
      });
    }
    const oneTime = cmd.oneTime ?? false;
    return {
      recipients: [...new Map(cmd.recipients.map((r) => [r.toLowerCase(), r])).values()],
      oneTime,
      maxDownloads: oneTime ? 1 : (cmd.maxDownloads ?? null),
      expiresAt,
      password,
      message: cmd.message?.trim() ? cmd.message.trim() : null,
      requireEmailVerification: cmd.requireEmailVerification ?? false,
      emailRecipients: cmd.notify ?? true,
      notifyOnDownload: cmd.notifyOnDownload ?? true,
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
    const options = this.resolveOptions(cmd);
    const passwordHash = options.password ? await this.hasher.hash(options.password) : null;
    const grants = (options.recipients.length > 0 ? options.recipients : [null]).map((recipient) => ({
      id: randomUUID(),
      recipient,
      token: randomToken(32),
    }));
    const base = this.config.publicUrl;
    const emailed = (recipient: string | null): recipient is string => recipient !== null && options.emailRecipients;
    await this.db.transaction(async () => {
      await this.links.insertLink({
        id: linkId,
        kind: 'send',
        ownerId: owner.id,
        storageConnection: connection,
        oneTime: options.oneTime,
        maxDownloads: options.maxDownloads,
        expiresAt: options.expiresAt,
        passwordHash,
        requireEmailVerification: options.requireEmailVerification,
        message: options.message,
        emailRecipients: options.emailRecipients,
        notifyOnDownload: options.notifyOnDownload,
      });
      let position = 0;
      for (const f of files) {
        const file: LinkFile = { ...f, linkId, position: position++ };
        await this.links.insertFile(file);
      }
      for (const g of grants) {
        await this.links.insertGrant({
          id: g.id,
          linkId,
          tokenHash: hashToken(g.token).toString('hex'),
          recipient: g.recipient,
          deliveryStatus: emailed(g.recipient) ? 'queued' : null,
        });
      }
      for (const g of grants) {
        if (emailed(g.recipient)) {
          await this.notices.invite({ linkId, grantId: g.id, recipient: g.recipient, url: `${base}/l/${g.token}`, owner, options, files });
        }
      }
      await this.links.deletePending(files.map((f) => f.id));
      await this.audit.record(ctx, {
        type: 'link.created',
        linkId,
        bytes: files.reduce((n, f) => n + f.size, 0),
        details: {
          kind: 'send',
          files: files.map((f) => ({ id: f.id, name: f.name, size: f.size, sha256: f.sha256 })),
          grants: grants.map((g) => ({ id: g.id, recipient: g.recipient })),
          oneTime: options.oneTime,
          maxDownloads: options.maxDownloads,
          expiresAt: options.expiresAt.toISOString(),
          passwordProtected: passwordHash !== null,
          requireEmailVerification: options.requireEmailVerification,
          emailRecipients: options.emailRecipients,
          notifyOnDownload: options.notifyOnDownload,
        },
      });
    });
    return {
      id: linkId,
      kind: 'send',
      expiresAt: options.expiresAt.toISOString(),
      grants: grants.map((g) => ({ id: g.id, recipient: g.recipient, url: `${base}/l/${g.token}` })),
    };
  }

  /** A link its viewer may see: their own, or any for an admin. Others get 404, so ids are not confirmed. */
  async get(linkId: string, viewer: User): Promise<LinkView> {
    const link = await this.visibleLink(linkId, viewer);
    const [files, grants] = [await this.links.filesOf(link.id), await this.links.grantsOf(link.id)];
    return toLinkView(link, files, grants, this.clock.now());
  }

  async list(viewer: User, limit: number, before: Date | null): Promise<LinkView[]> {
    const owner = hasRole(viewer, 'admin') ? null : viewer.id;
    const links = await this.links.listLinks(owner, limit, before);
    const ids = links.map((l) => l.id);
    const [files, grants] = [await this.links.filesOfLinks(ids), await this.links.grantsOfLinks(ids)];
    const now = this.clock.now();
    return links.map((link) =>
      toLinkView(
        link,
        files.filter((f) => f.linkId === link.id),
        grants.filter((g) => g.linkId === link.id),
        now,
      ),
    );
  }

  /** Ends every grant of the link at once. Revoking twice is not an error. */
  async revoke(linkId: string, viewer: User, ctx: AccessContext): Promise<void> {
    const link = await this.visibleLink(linkId, viewer);
    await this.db.transaction(async () => {
      if (await this.links.revokeLink(link.id)) {
        await this.audit.record(ctx, { type: 'link.revoked', linkId: link.id });
      }
    });
  }

  /** Ends one recipient's access, leaving the others. */
  async revokeGrant(linkId: string, grantId: string, viewer: User, ctx: AccessContext): Promise<void> {
    const link = await this.visibleLink(linkId, viewer);
    const grant = await this.links.findGrant(grantId);
    if (!grant || grant.linkId !== link.id) {
      throw new NotFoundError('grant_not_found', 'This link has no such recipient grant.');
    }
    await this.db.transaction(async () => {
      if (await this.links.revokeGrant(grant.id)) {
        const events: Parameters<AuditService['record']>[1][] = [{ type: 'grant.revoked', linkId: link.id, grantId: grant.id }];
        if (await this.links.endLinkIfAllGrantsEnded(link.id)) {
          events.push({ type: 'link.consumed', linkId: link.id, details: { reason: 'no grant left' } });
        }
        await this.audit.record(ctx, ...events);
      }
    });
  }

  private async visibleLink(linkId: string, viewer: User) {
    const link = /^[0-9a-f-]{36}$/i.test(linkId) ? await this.links.findLink(linkId) : null;
    if (!link || (link.ownerId !== viewer.id && !hasRole(viewer, 'admin'))) {
      throw new NotFoundError('link_not_found', 'There is no link with this id that you can see.');
    }
    return link;
  }
}
