import type { Grant, Link, LinkFile } from './link.js';
import type { AuditEvent } from '@mft/audit';
import { deliveryText, GrantRules, LinkRules } from './link.js';

/** A link as its sender (or an admin) sees it, with every grant's tracking. */
export interface LinkView {
  readonly id: string;
  readonly kind: string;
  readonly owner: string;
  readonly status: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly oneTime: boolean;
  readonly maxDownloads: number | null;
  readonly passwordProtected: boolean;
  readonly requireEmailVerification: boolean;
  readonly message: string | null;
  readonly emailRecipients: boolean;
  readonly notifyOnDownload: boolean;
  readonly revokedAt: string | null;
  readonly endedAt: string | null;
  readonly endedReason: string | null;
  readonly purgedAt: string | null;
  /** Whether the link still works, so revoking it would end something. */
  readonly canRevoke: boolean;
  readonly files: ReadonlyArray<{ id: string; name: string; size: number; sha256: string; contentType: string }>;
  readonly grants: ReadonlyArray<{
    id: string;
    recipient: string | null;
    status: string;
    /** When the mail server accepted the email to this recipient. */
    deliveredAt: string | null;
    delivery: { status: string | null; error: string | null; text: string | null; deliveredAt: string | null };
    openedAt: string | null;
    downloadedAt: string | null;
    downloads: number;
    /** Bytes the unfinished download now holding the grant has delivered (0 when none holds it). */
    deliveredBytes: number;
    endedAt: string | null;
    /** Whether this recipient's access still works, so revoking it would end something. */
    canRevoke: boolean;
    /** Whether a new invitation may be sent (a recipient, the grant live, no download holding it). */
    canResend: boolean;
  }>;
}

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

/** `delivered`: the bytes each grant's current claim has delivered (see `GrantRepository.claimDeliveredBytes`). */
export function toLinkView(link: Link, files: readonly LinkFile[], grants: readonly Grant[], now: Date, delivered: ReadonlyMap<string, number> = new Map()): LinkView {
  const rules = new LinkRules(link);
  return {
    id: link.id,
    kind: link.kind,
    owner: link.ownerName,
    status: rules.status(now),
    createdAt: link.createdAt.toISOString(),
    expiresAt: iso(link.expiresAt),
    oneTime: link.oneTime,
    maxDownloads: rules.downloadLimit,
    passwordProtected: link.passwordHash !== null,
    requireEmailVerification: link.requireEmailVerification,
    message: link.message,
    emailRecipients: link.emailRecipients,
    notifyOnDownload: link.notifyOnDownload,
    revokedAt: iso(link.revokedAt),
    endedAt: iso(link.endedAt),
    endedReason: link.endedReason,
    purgedAt: iso(link.purgedAt),
    canRevoke: rules.usable(now),
    files: files.map((f) => ({ id: f.id, name: f.name, size: f.size, sha256: f.sha256, contentType: f.contentType })),
    grants: grants.map((g) => {
      const grant = new GrantRules(link, g);
      return {
        id: g.id,
        recipient: g.recipient,
        status: grant.status(now),
        deliveredAt: iso(g.deliveredAt),
        delivery: { status: g.deliveryStatus, error: g.deliveryError, text: deliveryText(g), deliveredAt: g.deliveredAt?.toISOString() ?? null },
        openedAt: iso(g.openedAt),
        downloadedAt: iso(g.downloadedAt),
        downloads: g.downloads,
        deliveredBytes: g.claimId ? (delivered.get(g.id) ?? 0) : 0,
        endedAt: iso(g.endedAt),
        canRevoke: grant.usable(now),
        canResend: grant.canResend(now),
      };
    }),
  };
}

/** One thing that happened to a link or one of its recipients, as its sender sees it. */
export interface LinkActivity {
  /** The audit event type (`mail.sent`, `page.opened`, `email.verified`, `download.started`, `download.completed`, …). */
  readonly type: string;
  readonly at: string;
  /** The recipient grant; null for what happened to the link as a whole. */
  readonly grantId: string | null;
  /** Where the recipient was (null for what the gateway did itself, such as sending an email). */
  readonly ip: string | null;
  /** The email the recipient's browser session had verified, when it had. */
  readonly email: string | null;
  /** A sentence saying what happened. */
  readonly detail: string;
}

/** The audit events a link's activity is made of. */
export const ACTIVITY_EVENT_TYPES = [
  'link.created',
  'mail.sent',
  'mail.deferred',
  'mail.failed',
  'grant.invitation_resent',
  'page.opened',
  'unlock.succeeded',
  'email.verified',
  'download.started',
  'download.completed',
  'download.interrupted',
  'download.cut',
  'download.refused',
  'grant.consumed',
  'grant.reset',
  'grant.revoked',
  'link.revoked',
  'link.expired',
  'link.consumed',
  'link.expiry_shortened',
] as const;

/** The fields of an audit event the activity reads. */
type ActivityEvent = Pick<AuditEvent, 'type' | 'at' | 'grantId' | 'fileId' | 'ip' | 'actor' | 'bytes' | 'details'>;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The activity of a link from its audit events (oldest first). Emails other than invitations (codes, notices to the sender) are left out. */
export function toActivity(events: readonly ActivityEvent[], files: readonly Pick<LinkFile, 'id' | 'name'>[]): LinkActivity[] {
  const names = new Map(files.map((f) => [f.id, f.name]));
  const what = (e: ActivityEvent): string => (e.fileId ? (names.get(e.fileId) ?? 'a file') : 'every file, as one archive');
  const out: LinkActivity[] = [];
  for (const e of events) {
    const d = e.details;
    if (e.type.startsWith('mail.') && d.template !== 'recipient-invitation') {
      continue;
    }
    const detail = activityDetail(e, d, what);
    const verified = e.type === 'email.verified' ? str(d.email) : e.actor?.startsWith('recipient:') ? e.actor.slice('recipient:'.length) : null;
    out.push({ type: e.type, at: e.at, grantId: e.grantId, ip: e.ip, email: verified, detail });
  }
  return out;
}

function activityDetail(e: ActivityEvent, d: Record<string, unknown>, what: (e: ActivityEvent) => string): string {
  switch (e.type) {
    case 'link.created':
      return 'Link created.';
    case 'mail.sent':
      return d.channel === 'outbox'
        ? `Invitation to ${str(d.to) ?? 'the recipient'} written to the outbox folder: no mail server is configured, so it was not sent.`
        : `Invitation to ${str(d.to) ?? 'the recipient'} accepted by the mail server.`;
    case 'mail.deferred':
      return `Invitation not delivered yet; retrying (${str(d.error) ?? 'the mail server did not accept it'}).`;
    case 'mail.failed':
      return `Invitation not delivered: ${str(d.error) ?? 'the mail server refused it'}.`;
    case 'grant.invitation_resent':
      return 'A new invitation with a new address was queued; the previous address stopped working.';
    case 'page.opened':
      return d.first === true ? 'Opened the page for the first time.' : 'Opened the page.';
    case 'unlock.succeeded':
      return 'Entered the password.';
    case 'email.verified':
      return `Verified the email address ${str(d.email) ?? ''}.`.replace(' .', '.');
    case 'download.started':
      return `Started downloading ${what(e)}${typeof d.range === 'string' ? ` (bytes ${d.range})` : ''}.`;
    case 'download.completed':
      return d.allFiles === true
        ? `Download complete: every file delivered${typeof d.downloads === 'number' ? ` (download ${String(d.downloads)})` : ''}.`
        : `Received all of ${what(e)}.`;
    case 'download.interrupted':
      return `Download of ${what(e)} stopped part-way${e.bytes ? ` after ${String(e.bytes)} bytes` : ''}.`;
    case 'download.cut':
      return `Download of ${what(e)} was cut off (${str(d.reason) ?? 'the link ended'}).`;
    case 'download.refused':
      return `A download was refused (${str(d.code) ?? 'not allowed'}).`;
    case 'grant.consumed':
      return 'Used every download the link allows.';
    case 'grant.reset':
      return 'The unfinished download was reset.';
    case 'grant.revoked':
      return 'Access revoked.';
    case 'link.revoked':
      return 'Link revoked.';
    case 'link.expired':
      return 'Link expired.';
    case 'link.consumed':
      return 'Every recipient has used the link up.';
    case 'link.expiry_shortened':
      return 'The expiry was brought forward by a policy change.';
    default:
      return e.type;
  }
}
