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

/** The number of completed downloads a grant allows; null = unlimited. One-time is a limit of one. */
export function downloadLimit(link: Pick<Link, 'oneTime' | 'maxDownloads'>): number | null {
  return link.oneTime ? 1 : link.maxDownloads;
}

export function isExpired(link: Pick<Link, 'expiresAt'>, now: Date): boolean {
  return link.expiresAt !== null && link.expiresAt.getTime() <= now.getTime();
}

/**
 * Why a grant can no longer be used, or null while it can: revoked, expired and consumed grants end
 * at once, whatever the background jobs have or have not done yet. `ended` is a link that ended
 * (or was purged) for a reason of its own (`link.endedReason`).
 */
export function grantEndReason(link: Link, grant: Grant, now: Date): 'revoked' | 'expired' | 'consumed' | 'ended' | null {
  if (link.revokedAt !== null || grant.status === 'revoked') {
    return 'revoked';
  }
  if (isExpired(link, now) || grant.status === 'expired' || link.endedReason === 'expired') {
    return 'expired';
  }
  if (grant.status === 'consumed') {
    return 'consumed';
  }
  return link.purgedAt !== null || link.endedAt !== null ? 'ended' : null;
}

/** The rule every access path applies before anything is served, with a refusal the recipient can act on. */
export function assertGrantUsable(link: Link, grant: Grant, now: Date): void {
  const contact = senderContact(link);
  const reason = grantEndReason(link, grant, now);
  if (reason === 'revoked') {
    throw new GoneError('link_revoked', `${contact.name} has withdrawn this link, so its files can no longer be downloaded.`, {
      reason: 'revoked',
      sender: contact,
    });
  }
  if (reason === 'expired') {
    const when = link.expiresAt ? ` on ${link.expiresAt.toUTCString()}` : '';
    throw new GoneError('link_expired', `This link expired${when}, so its files can no longer be downloaded.`, {
      reason: 'expired',
      expiredAt: link.expiresAt?.toISOString() ?? null,
      sender: contact,
    });
  }
  if (reason === 'consumed') {
    const times = grant.downloads === 1 ? 'once' : `${grant.downloads} times`;
    const when = grant.downloadedAt ? `, first on ${grant.downloadedAt.toUTCString()}` : '';
    throw new GoneError('grant_consumed', `This link has already been used: its files were downloaded ${times}${when}, which is all it allows.`, {
      reason: 'consumed',
      sender: contact,
    });
  }
  if (reason === 'ended') {
    throw new GoneError('link_ended', 'This link is no longer available.', { reason: link.endedReason ?? 'ended', sender: contact });
  }
}

/** Whom a recipient should ask when a link no longer works. */
export function senderContact(link: Pick<Link, 'ownerDisplayName' | 'ownerEmail'>): { name: string; email: string | null } {
  return { name: link.ownerDisplayName, email: link.ownerEmail };
}

/** The status a sender sees for one grant. */
export function grantTrackingStatus(link: Link, grant: Grant, now: Date): string {
  if (grant.status !== 'active') {
    return grant.status;
  }
  if (link.revokedAt) {
    return 'revoked';
  }
  if (isExpired(link, now)) {
    return 'expired';
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
