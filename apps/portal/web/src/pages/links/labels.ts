import { formatBytes } from '../../ui/format.tsx';

/** What the labels read of a grant's invitation email (the API's `delivery`). */
interface Delivery {
  readonly status: 'queued' | 'sent' | 'outbox' | 'failed' | null;
}

/** What the labels read of a grant (the API's grant tracking). */
interface GrantProgress {
  readonly status: string;
  readonly downloads: number;
  readonly deliveredBytes: number;
}

/** The link statuses the list filters by (the API's `status`), as people name them. */
export const LINK_STATUSES: ReadonlyArray<{ value: string; label: string }> = [
  { value: 'active', label: 'Live' },
  { value: 'expired', label: 'Expired' },
  { value: 'consumed', label: 'Used up' },
  { value: 'revoked', label: 'Revoked' },
];

export function linkStatusLabel(status: string): string {
  return LINK_STATUSES.find((s) => s.value === status)?.label ?? status;
}

/** What became of the email inviting a recipient. An email written to the outbox folder was not sent. */
export function deliveryLabel(delivery: Delivery): string {
  switch (delivery.status) {
    case null:
      return 'Not emailed';
    case 'queued':
      return 'Invitation queued';
    case 'sent':
      return 'Invitation delivered';
    case 'outbox':
      return 'Invitation written to the outbox (not sent)';
    case 'failed':
      return 'Invitation not delivered';
  }
}

/** How far a recipient got, or how their access ended. */
export function grantStatusLabel(grant: GrantProgress): string {
  switch (grant.status) {
    case 'queued':
      return 'Invitation queued';
    case 'delivery_failed':
      return 'Invitation not delivered';
    case 'sent':
      return 'Not opened yet';
    case 'opened':
      return 'Opened';
    case 'downloading':
      return grant.deliveredBytes > 0 ? `Downloading (${formatBytes(grant.deliveredBytes)} so far)` : 'Downloading';
    case 'downloaded':
      return grant.downloads === 1 ? 'Downloaded' : `Downloaded ${String(grant.downloads)} times`;
    case 'consumed':
      return 'Downloaded (no downloads left)';
    case 'revoked':
      return 'Revoked';
    case 'expired':
      return 'Expired';
    case 'ended':
      return 'Ended';
    default:
      return grant.status;
  }
}

/** The name of an activity event on the timeline; an invitation is named by what became of it. */
export function activityLabel(type: string, delivery: Delivery | null): string {
  switch (type) {
    case 'mail.sent':
      return delivery?.status === 'outbox' ? 'Invitation written to the outbox' : 'Invitation delivered';
    case 'mail.deferred':
      return 'Invitation not delivered yet';
    case 'mail.failed':
      return 'Invitation not delivered';
    case 'grant.invitation_resent':
      return 'Invitation resent';
    case 'page.opened':
      return 'Page opened';
    case 'unlock.succeeded':
      return 'Password entered';
    case 'email.verified':
      return 'Email verified';
    case 'download.started':
      return 'Download started';
    case 'download.completed':
      return 'Download completed';
    case 'download.interrupted':
      return 'Download interrupted';
    case 'download.cut':
      return 'Download cut off';
    case 'download.refused':
      return 'Download refused';
    case 'grant.consumed':
      return 'No downloads left';
    case 'grant.reset':
      return 'Download reset';
    case 'grant.revoked':
      return 'Revoked';
    case 'link.created':
      return 'Link created';
    case 'link.revoked':
      return 'Link revoked';
    case 'link.expired':
      return 'Link expired';
    case 'link.consumed':
      return 'Link used up';
    case 'link.expiry_shortened':
      return 'Expiry brought forward';
    default:
      return type;
  }
}
