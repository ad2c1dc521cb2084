import { GoneError } from '@mft/core';

export type LinkKind = 'send' | 'share';
export type GrantStatus = 'active' | 'consumed' | 'revoked' | 'expired';
export type LinkEndReason = 'revoked' | 'expired' | 'consumed';

/** A link: its options and its life. Files and grants hang off it. */
export interface Link {
  readonly id: string;
  readonly kind: LinkKind;
  readonly ownerId: string;
  readonly ownerName: string;
  /** How recipients see the sender: the display name from the IdP, else the user name. */
  readonly ownerDisplayName: string;
  readonly ownerEmail: string | null;
  readonly storageConnection: string;
  readonly oneTime: boolean;
  readonly maxDownloads: number | null;
  readonly expiresAt: Date | null;
  readonly passwordHash: string | null;
  readonly requireEmailVerification: boolean;
  readonly message: string | null;
  /** Whether each recipient was emailed their link when it was created. */
  readonly emailRecipients: boolean;
  /** Whether the sender is emailed on each completed download and when the link expires unused. */
  readonly notifyOnDownload: boolean;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
  readonly endedAt: Date | null;
  readonly endedReason: LinkEndReason | null;
  readonly purgedAt: Date | null;
}

export interface LinkFile {
  readonly id: string;
  readonly linkId: string;
  readonly position: number;
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  /** The CRC-32 of its bytes (for archives), or null for files stored before it was recorded. Absent: not known. */
  readonly crc32?: number | null;
  readonly contentType: string;
  readonly storageKey: string;
}

/** One recipient's access to a link, with its own token and its own tracking. */
export interface Grant {
  readonly id: string;
  readonly linkId: string;
  readonly recipient: string | null;
  readonly status: GrantStatus;
  readonly downloads: number;
  readonly claimId: string | null;
  readonly claimSession: string | null;
  readonly claimSeenAt: Date | null;
  readonly openedAt: Date | null;
  readonly downloadedAt: Date | null;
  readonly endedAt: Date | null;
  readonly createdAt: Date;
  /** The recipient's email: null when none was sent, `queued` until the SMTP server accepts it. */
  readonly deliveryStatus: DeliveryStatus | null;
  /** When the SMTP server accepted the email to the recipient. */
  readonly deliveredAt: Date | null;
  /** Why the email has not been delivered (yet), when it failed. */
  readonly deliveryError: string | null;
}

export type DeliveryStatus = 'queued' | 'sent' | 'outbox' | 'failed';

/** What a link asks of every recipient before its files are listed: its password, a verified email. */
export type Lock = 'password' | 'email';

/**
 * Why a grant can no longer be used. `ended`: its link ended (or was purged) for a reason that is
 * not this grant's own; a consistent database never has a live grant on such a link.
 */
export type GrantEndReason = LinkEndReason | 'ended';

/** The state of a link as its sender sees it. */
export type LinkStatus = LinkEndReason | 'active';

/** The state of one grant as its sender sees it: how it ended, else how far its recipient got. */
export type GrantTrackingStatus = GrantEndReason | 'downloading' | 'downloaded' | 'opened' | 'queued' | 'delivery_failed' | 'sent';

/** Why a grant's invitation cannot be sent again: no recipient to email, the grant has ended, or a download holds it. */
export type ResendRefusal = 'no_recipient' | 'ended' | 'in_use';

/** What a browser session has proved for one grant. */
export interface SessionProof {
  readonly unlocked: boolean;
  readonly verifiedEmail: string | null;
}

/**
 * The rules of one link, decided from its record alone, at an instant. The SQL that restates them
 * (`liveLinkSql` in repositories/link.repository.ts) is tested against this class row by row.
 *
 * End reasons have one precedence everywhere: **revoked, then expired, then consumed**. Revocation
 * is the sender's explicit act and wins; an expiry that has passed ends the link even if the sweep
 * has not recorded it yet; a link consumed by its grants comes last.
 */
export class LinkRules {
  constructor(readonly link: Link) {}

  /** The number of completed downloads each grant of a link with these options allows; null = unlimited. One-time is a limit of one. */
  static downloadLimitOf(options: Pick<Link, 'oneTime' | 'maxDownloads'>): number | null {
    return options.oneTime ? 1 : options.maxDownloads;
  }

  /** The number of completed downloads each grant allows; null = unlimited. */
  get downloadLimit(): number | null {
    return LinkRules.downloadLimitOf(this.link);
  }

  /** What every recipient must provide before the files are listed, in the order the page asks for them. */
  get locks(): readonly Lock[] {
    return [...(this.link.passwordHash !== null ? (['password'] as const) : []), ...(this.link.requireEmailVerification ? (['email'] as const) : [])];
  }

  /** Whether the expiry instant has come (the instant itself is expired). */
  isExpired(now: Date): boolean {
    return this.link.expiresAt !== null && this.link.expiresAt.getTime() <= now.getTime();
  }

  /** Why the link no longer works at `now`, by the precedence above; null while it does. */
  endReason(now: Date): GrantEndReason | null {
    const l = this.link;
    if (l.revokedAt !== null) {
      return 'revoked';
    }
    if (this.isExpired(now) || l.endedReason === 'expired') {
      return 'expired';
    }
    if (l.endedReason === 'consumed') {
      return 'consumed';
    }
    return l.endedAt !== null || l.endedReason !== null || l.purgedAt !== null ? 'ended' : null;
  }

  /** Whether the link still works at `now`. */
  usable(now: Date): boolean {
    return this.endReason(now) === null;
  }

  /**
   * The sender's status: revoked (their act, even after the link was consumed), else how the link
   * was recorded to end (a consumed link stays consumed once its expiry passes), else expired once
   * its expiry has come, else active.
   */
  status(now: Date): LinkStatus {
    if (this.link.revokedAt !== null) {
      return 'revoked';
    }
    if (this.link.endedReason !== null) {
      return this.link.endedReason;
    }
    return this.isExpired(now) ? 'expired' : 'active';
  }
}

/**
 * The rules of one recipient grant of a link, decided from the two records at an instant: whether
 * it may be used, why not, what the session must still prove, how many downloads are left, whether
 * its invitation may be sent again, and the status its sender sees. Every door (API, recipient
 * pages, SFTP) asks this class; the SQL predicate `liveGrantSql` (repositories/link.repository.ts)
 * is tested to agree with `usable` row by row.
 *
 * End reasons follow the link's precedence: **revoked** (the link, or this grant alone), then
 * **expired** (the link's expiry has come, or a sweep recorded it), then **consumed** (this grant
 * has had every download it allows), then `ended` (the link ended for a reason of its own).
 */
export class GrantRules {
  readonly link: LinkRules;

  constructor(
    link: Link,
    readonly grant: Grant,
  ) {
    this.link = new LinkRules(link);
  }

  /** Why the grant can no longer be used at `now`, by the precedence above; null while it can. */
  endReason(now: Date): GrantEndReason | null {
    const { grant } = this;
    const link = this.link.endReason(now);
    if (link === 'revoked' || grant.status === 'revoked') {
      return 'revoked';
    }
    if (link === 'expired' || grant.status === 'expired') {
      return 'expired';
    }
    const limit = this.link.downloadLimit;
    if (grant.status === 'consumed' || (limit !== null && grant.downloads >= limit)) {
      return 'consumed';
    }
    // The link ended (consumed by its other grants, or purged) for a reason that is not this grant's.
    return link === null ? null : 'ended';
  }

  /** The end reason to tell people: a link that ended for a reason of its own is named by that reason. */
  reportedEndReason(now: Date): GrantEndReason | null {
    const reason = this.endReason(now);
    return reason === 'ended' ? (this.link.link.endedReason ?? 'ended') : reason;
  }

  /** Whether the grant may be used at `now` (modelled on SFTPGo's `Share.IsUsable`). */
  usable(now: Date): boolean {
    return this.endReason(now) === null;
  }

  /** The rule every access path applies before anything is served, with a refusal the recipient can act on. */
  assertUsable(now: Date): void {
    const { link } = this.link;
    const { grant } = this;
    const contact = senderContact(link);
    const reason = this.endReason(now);
    switch (reason) {
      case null:
        return;
      case 'revoked':
        throw new GoneError('link_revoked', `${contact.name} has withdrawn this link, so its files can no longer be downloaded.`, {
          reason: 'revoked',
          sender: contact,
        });
      case 'expired': {
        const when = link.expiresAt ? ` on ${link.expiresAt.toUTCString()}` : '';
        throw new GoneError('link_expired', `This link expired${when}, so its files can no longer be downloaded.`, {
          reason: 'expired',
          expiredAt: link.expiresAt?.toISOString() ?? null,
          sender: contact,
        });
      }
      case 'consumed': {
        const times = grant.downloads === 1 ? 'once' : `${grant.downloads} times`;
        const when = grant.downloadedAt ? `, first on ${grant.downloadedAt.toUTCString()}` : '';
        throw new GoneError('grant_consumed', `This link has already been used: its files were downloaded ${times}${when}, which is all it allows.`, {
          reason: 'consumed',
          sender: contact,
        });
      }
      case 'ended':
        throw new GoneError('link_ended', 'This link is no longer available.', { reason: this.reportedEndReason(now), sender: contact });
    }
  }

  /** Completed downloads left to this grant; null = unlimited. */
  remainingDownloads(): number | null {
    const limit = this.link.downloadLimit;
    return limit === null ? null : Math.max(0, limit - this.grant.downloads);
  }

  /** What the session must still provide for this grant: the link's password, a verified email, in that order. */
  locks(proof: SessionProof): Lock[] {
    return this.link.locks.filter((lock) => (lock === 'password' ? !proof.unlocked : proof.verifiedEmail === null));
  }

  /**
   * Why the invitation cannot be sent again (with a new address), in the order they are reported,
   * or null when it can. The repository's token rotation guards the last one atomically too.
   */
  resendRefusal(now: Date): ResendRefusal | null {
    if (this.grant.recipient === null) {
      return 'no_recipient';
    }
    if (this.endReason(now) !== null) {
      return 'ended';
    }
    return this.grant.claimId !== null ? 'in_use' : null;
  }

  /** Whether the invitation may be sent again at `now`. */
  canResend(now: Date): boolean {
    return this.resendRefusal(now) === null;
  }

  /**
   * The status the sender sees. A grant that ended by itself keeps that end (a recipient who
   * downloaded stays `consumed` when the link is revoked later: it is what happened to them);
   * a grant still active shows its link's end reason, else how far its recipient got.
   */
  status(now: Date): GrantTrackingStatus {
    const { grant } = this;
    if (grant.status !== 'active') {
      return grant.status;
    }
    const end = this.reportedEndReason(now);
    if (end !== null) {
      return end;
    }
    if (grant.claimId) {
      return 'downloading';
    }
    if (grant.downloads > 0) {
      return 'downloaded';
    }
    if (grant.openedAt) {
      return 'opened';
    }
    if (grant.deliveryStatus === 'queued') {
      return 'queued';
    }
    return grant.deliveryStatus === 'failed' ? 'delivery_failed' : 'sent';
  }
}

/** Shorthand for `LinkRules.downloadLimitOf(link)`. */
export function downloadLimit(link: Pick<Link, 'oneTime' | 'maxDownloads'>): number | null {
  return LinkRules.downloadLimitOf(link);
}

/** Shorthand for `new GrantRules(link, grant).endReason(now)`. */
export function grantEndReason(link: Link, grant: Grant, now: Date): GrantEndReason | null {
  return new GrantRules(link, grant).endReason(now);
}

/** Shorthand for `new GrantRules(link, grant).assertUsable(now)`. */
export function assertGrantUsable(link: Link, grant: Grant, now: Date): void {
  new GrantRules(link, grant).assertUsable(now);
}

/** Shorthand for `new GrantRules(link, grant).status(now)`. */
export function grantTrackingStatus(link: Link, grant: Grant, now: Date): GrantTrackingStatus {
  return new GrantRules(link, grant).status(now);
}

/** Whom a recipient should ask when a link no longer works. */
export function senderContact(link: Pick<Link, 'ownerDisplayName' | 'ownerEmail'>): { name: string; email: string | null } {
  return { name: link.ownerDisplayName, email: link.ownerEmail };
}

/** A sentence for the sender about the email to one recipient. */
export function deliveryText(grant: Pick<Grant, 'deliveryStatus' | 'deliveredAt' | 'deliveryError'>): string | null {
  switch (grant.deliveryStatus) {
    case null:
      return null;
    case 'queued':
      return grant.deliveryError ? `Not delivered yet; retrying (last attempt: ${grant.deliveryError}).` : 'Not delivered yet.';
    case 'sent':
      return `Accepted by the mail server at ${grant.deliveredAt?.toISOString() ?? 'an unknown time'}.`;
    case 'outbox':
      return 'Written to the outbox folder: no mail server is configured, so it was not sent.';
    case 'failed':
      return `Not delivered: ${grant.deliveryError ?? 'the mail server refused it'}. Check the address and send a new invitation, or send the link to the recipient another way.`;
  }
}
