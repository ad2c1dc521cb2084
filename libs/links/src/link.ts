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
  readonly storageConnection: string;
  readonly oneTime: boolean;
  readonly maxDownloads: number | null;
  readonly expiresAt: Date | null;
  readonly passwordHash: string | null;
  readonly requireEmailVerification: boolean;
  readonly message: string | null;
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
}

/** The number of completed downloads a grant allows; null = unlimited. One-time is a limit of one. */
export function downloadLimit(link: Pick<Link, 'oneTime' | 'maxDownloads'>): number | null {
  return link.oneTime ? 1 : link.maxDownloads;
}

export function isExpired(link: Pick<Link, 'expiresAt'>, now: Date): boolean {
  return link.expiresAt !== null && link.expiresAt.getTime() <= now.getTime();
}

/**
 * The rule every access path applies before anything is served: revoked, expired and consumed
 * grants end access at once, whatever the background jobs have or have not done yet.
 */
export function assertGrantUsable(link: Link, grant: Grant, now: Date): void {
  if (link.revokedAt !== null || grant.status === 'revoked') {
    throw new GoneError('link_revoked', 'This link has been withdrawn by its sender.', { reason: 'revoked' });
  }
  if (isExpired(link, now) || grant.status === 'expired' || link.endedReason === 'expired') {
    throw new GoneError('link_expired', 'This link has expired.', { reason: 'expired' });
  }
  if (grant.status === 'consumed') {
    throw new GoneError('grant_consumed', 'This link has already been used the number of times it allows.', {
      reason: 'consumed',
    });
  }
  if (link.purgedAt !== null || link.endedAt !== null) {
    throw new GoneError('link_ended', 'This link is no longer available.', { reason: link.endedReason ?? 'ended' });
  }
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
  return grant.openedAt ? 'opened' : 'sent';
}
