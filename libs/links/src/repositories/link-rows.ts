import { displayNameOf } from '@mft/identity';
import type { DeliveryStatus, Grant, GrantStatus, Link, LinkEndReason, LinkFile, LinkKind } from '../link.js';

// Database rows of links, files and grants, and their domain records. Shared by the repositories.

export interface LinkRow {
  id: string;
  kind: LinkKind;
  owner_id: string;
  owner_name: string;
  owner_display_name: string | null;
  owner_email: string | null;
  storage_connection: string;
  one_time: boolean;
  max_downloads: number | null;
  expires_at: Date | null;
  password_hash: string | null;
  require_email_verification: boolean;
  message: string | null;
  email_recipients: boolean;
  notify_on_download: boolean;
  created_at: Date;
  revoked_at: Date | null;
  ended_at: Date | null;
  ended_reason: LinkEndReason | null;
  purged_at: Date | null;
}
export interface FileRow {
  id: string;
  link_id: string;
  position: number;
  name: string;
  size: string | number;
  sha256: string;
  crc32: string | number | null;
  content_type: string;
  storage_key: string;
}
export interface GrantRow {
  id: string;
  link_id: string;
  recipient: string | null;
  status: GrantStatus;
  downloads: number;
  claim_id: string | null;
  claim_session: string | null;
  claim_seen_at: Date | null;
  opened_at: Date | null;
  downloaded_at: Date | null;
  ended_at: Date | null;
  created_at: Date;
  delivery_status: DeliveryStatus | null;
  delivered_at: Date | null;
  delivery_error: string | null;
}

export const d = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

export const toLink = (r: LinkRow): Link => ({
  id: r.id,
  kind: r.kind,
  ownerId: r.owner_id,
  ownerName: r.owner_name,
  ownerDisplayName: displayNameOf({ displayName: r.owner_display_name, username: r.owner_name }),
  ownerEmail: r.owner_email,
  storageConnection: r.storage_connection,
  oneTime: r.one_time,
  maxDownloads: r.max_downloads === null ? null : Number(r.max_downloads),
  expiresAt: d(r.expires_at),
  passwordHash: r.password_hash,
  requireEmailVerification: r.require_email_verification,
  message: r.message,
  emailRecipients: r.email_recipients,
  notifyOnDownload: r.notify_on_download,
  createdAt: d(r.created_at)!,
  revokedAt: d(r.revoked_at),
  endedAt: d(r.ended_at),
  endedReason: r.ended_reason,
  purgedAt: d(r.purged_at),
});
export const toFile = (r: FileRow): LinkFile => ({
  id: r.id,
  linkId: r.link_id,
  position: Number(r.position),
  name: r.name,
  size: Number(r.size),
  sha256: r.sha256,
  crc32: r.crc32 === null || r.crc32 === undefined ? null : Number(r.crc32),
  contentType: r.content_type,
  storageKey: r.storage_key,
});
export const toGrant = (r: GrantRow): Grant => ({
  id: r.id,
  linkId: r.link_id,
  recipient: r.recipient,
  status: r.status,
  downloads: Number(r.downloads),
  claimId: r.claim_id,
  claimSession: r.claim_session,
  claimSeenAt: d(r.claim_seen_at),
  openedAt: d(r.opened_at),
  downloadedAt: d(r.downloaded_at),
  endedAt: d(r.ended_at),
  createdAt: d(r.created_at)!,
  deliveryStatus: r.delivery_status,
  deliveredAt: d(r.delivered_at),
  deliveryError: r.delivery_error,
});
