import type { Grant, Link, LinkFile } from './link.js';
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
  readonly files: ReadonlyArray<{ id: string; name: string; size: number; sha256: string; contentType: string }>;
  readonly grants: ReadonlyArray<{
    id: string;
    recipient: string | null;
    status: string;
    /** When the mail server accepted the email to this recipient. */
    deliveredAt: string | null;
    delivery: { status: string | null; error: string | null; text: string | null };
    openedAt: string | null;
    downloadedAt: string | null;
    downloads: number;
    /** Bytes the unfinished download now holding the grant has delivered (0 when none holds it). */
    deliveredBytes: number;
    endedAt: string | null;
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
    files: files.map((f) => ({ id: f.id, name: f.name, size: f.size, sha256: f.sha256, contentType: f.contentType })),
    grants: grants.map((g) => ({
      id: g.id,
      recipient: g.recipient,
      status: new GrantRules(link, g).status(now),
      deliveredAt: iso(g.deliveredAt),
      delivery: { status: g.deliveryStatus, error: g.deliveryError, text: deliveryText(g) },
      openedAt: iso(g.openedAt),
      downloadedAt: iso(g.downloadedAt),
      downloads: g.downloads,
      deliveredBytes: g.claimId ? (delivered.get(g.id) ?? 0) : 0,
      endedAt: iso(g.endedAt),
    })),
  };
}
