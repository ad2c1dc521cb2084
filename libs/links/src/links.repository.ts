import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';
import { displayNameOf } from '@mft/identity';
import type { DeliveryStatus, Grant, GrantStatus, Link, LinkEndReason, LinkFile, LinkKind } from './link.js';

interface LinkRow {
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
interface FileRow {
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
interface GrantRow {
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

interface ChallengeRow {
  grant_id: string;
  session_hash: string;
  email: string;
  allowed: boolean;
  code_hash: string;
  issued_at: Date;
  expires_at: Date;
  used_at: Date | null;
  failures: number;
  locked_at: Date | null;
}

/** The emailed code one browser session was given for one grant (stored as an HMAC, never in clear). */
export interface EmailChallenge {
  readonly grantId: string;
  readonly sessionHash: string;
  readonly email: string;
  readonly allowed: boolean;
  readonly codeHash: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly usedAt: Date | null;
  readonly failures: number;
  readonly lockedAt: Date | null;
}

const d = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

const toChallenge = (r: ChallengeRow): EmailChallenge => ({
  grantId: r.grant_id,
  sessionHash: r.session_hash,
  email: r.email,
  allowed: r.allowed,
  codeHash: r.code_hash,
  issuedAt: d(r.issued_at)!,
  expiresAt: d(r.expires_at)!,
  usedAt: d(r.used_at),
  failures: Number(r.failures),
  lockedAt: d(r.locked_at),
});

const toLink = (r: LinkRow): Link => ({
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
const toFile = (r: FileRow): LinkFile => ({
  id: r.id,
  linkId: r.link_id,
  position: Number(r.position),
  name: r.name,
  size: Number(r.size),
  sha256: r.sha256,
  crc32: r.crc32 === null ? null : Number(r.crc32),
  contentType: r.content_type,
  storageKey: r.storage_key,
});
const toGrant = (r: GrantRow): Grant => ({
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

/** SQL: whether the delivery cycle in column `claim` has delivered at least one byte. */
const DELIVERED_ANY = (claim: string): string =>
  `EXISTS (SELECT 1 FROM grant_deliveries dd WHERE dd.cycle_id = ${claim} AND NOT isempty(dd.delivered))`;

const LINK_COLUMNS = `l.*, u.username AS owner_name, u.display_name AS owner_display_name, u.email AS owner_email`;

export type NewLink = Pick<
  Link,
  | 'id'
  | 'kind'
  | 'ownerId'
  | 'storageConnection'
  | 'oneTime'
  | 'maxDownloads'
  | 'expiresAt'
  | 'passwordHash'
  | 'requireEmailVerification'
  | 'message'
  | 'emailRecipients'
  | 'notifyOnDownload'
>;

/** What a claim attempt found: the claim it holds now, and the one it displaced (a stale claim). */
export interface ClaimResult {
  readonly claimId: string;
  readonly fresh: boolean;
  readonly displacedClaimId: string | null;
}

/** A SHA-256 hex digest shaped as a UUID, as `uuidFrom` in recipient-access.service.ts does. */
const hexAsUuid = (hex: string): string =>
  `(substr(${hex}, 1, 8) || '-' || substr(${hex}, 9, 4) || '-4' || substr(${hex}, 14, 3) || '-8' || substr(${hex}, 18, 3) || '-' || substr(${hex}, 21, 12))::uuid`;

/** Every SQL statement about links, files, grants and deliveries. */
@Injectable()
export class LinksRepository {
  constructor(private readonly db: Database) {}

  async insertLink(l: NewLink): Promise<void> {
    await this.db.query(
      `INSERT INTO links (id, kind, owner_id, storage_connection, one_time, max_downloads, expires_at, password_hash,
         require_email_verification, message, email_recipients, notify_on_download)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        l.id,
        l.kind,
        l.ownerId,
        l.storageConnection,
        l.oneTime,
        l.maxDownloads,
        l.expiresAt,
        l.passwordHash,
        l.requireEmailVerification,
        l.message,
        l.emailRecipients,
        l.notifyOnDownload,
      ],
    );
  }

  async insertFile(f: LinkFile): Promise<void> {
    await this.db.query(
      `INSERT INTO link_files (id, link_id, position, name, size, sha256, content_type, storage_key, crc32) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [f.id, f.linkId, f.position, f.name, f.size, f.sha256, f.contentType, f.storageKey, f.crc32 ?? null],
    );
  }

  async insertGrant(g: { id: string; linkId: string; tokenHash: string; recipient: string | null; deliveryStatus?: DeliveryStatus | null }): Promise<void> {
    await this.db.query(`INSERT INTO grants (id, link_id, token_hash, recipient, delivery_status) VALUES ($1, $2, $3, $4, $5)`, [
      g.id,
      g.linkId,
      g.tokenHash,
      g.recipient,
      g.deliveryStatus ?? null,
    ]);
  }

  /** Records what became of the email to a grant's recipient. */
  /**
   * Records what became of invitation `messageId` on its grant, unless a newer invitation to the
   * grant exists (a resend), whose outcome is the one the sender must see.
   */
  async setDelivery(grantId: string, status: DeliveryStatus, error: string | null, messageId: string): Promise<void> {
    await this.db.query(
      `UPDATE grants SET delivery_status = $2, delivery_error = $3,
         delivered_at = CASE WHEN $2 = 'sent' THEN COALESCE(delivered_at, now()) ELSE delivered_at END
       WHERE id = $1 AND NOT EXISTS (
         SELECT 1 FROM mail_queue newer, mail_queue this
          WHERE this.id = $4 AND newer.grant_id = $1 AND newer.template = this.template AND newer.created_at > this.created_at)`,
      [grantId, status, error, messageId],
    );
  }

  /**
   * Gives an active grant a new token (the old URL stops working at once) and marks its invitation
   * queued again. Refused (false) once the grant has ended or while a download holds it.
   */
  async rotateToken(grantId: string, tokenHash: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE grants SET token_hash = $2, delivery_status = 'queued', delivered_at = NULL, delivery_error = NULL
       WHERE id = $1 AND status = 'active' AND claim_id IS NULL RETURNING id`,
      [grantId, tokenHash],
    );
    return rows.length > 0;
  }

  async findLink(id: string): Promise<Link | null> {
    const [row] = await this.db.query<LinkRow>(
      `SELECT ${LINK_COLUMNS} FROM links l JOIN users u ON u.id = l.owner_id WHERE l.id = $1`,
      [id],
    );
    return row ? toLink(row) : null;
  }

  async listLinks(ownerId: string | null, limit: number, before: Date | null): Promise<Link[]> {
    const rows = await this.db.query<LinkRow>(
      `SELECT ${LINK_COLUMNS} FROM links l JOIN users u ON u.id = l.owner_id
       WHERE ($1::uuid IS NULL OR l.owner_id = $1) AND ($2::timestamptz IS NULL OR l.created_at < $2)
       ORDER BY l.created_at DESC LIMIT $3`,
      [ownerId, before, limit],
    );
    return rows.map(toLink);
  }

  async filesOf(linkId: string): Promise<LinkFile[]> {
    const rows = await this.db.query<FileRow>(`SELECT * FROM link_files WHERE link_id = $1 ORDER BY position`, [linkId]);
    return rows.map(toFile);
  }

  /** The files of several links, in one query. */
  async filesOfLinks(linkIds: readonly string[]): Promise<LinkFile[]> {
    const rows = await this.db.query<FileRow>(`SELECT * FROM link_files WHERE link_id = ANY($1::uuid[]) ORDER BY link_id, position`, [linkIds]);
    return rows.map(toFile);
  }

  /** The grants of several links, in one query. */
  async grantsOfLinks(linkIds: readonly string[]): Promise<Grant[]> {
    const rows = await this.db.query<GrantRow>(`SELECT * FROM grants WHERE link_id = ANY($1::uuid[]) ORDER BY created_at, id`, [linkIds]);
    return rows.map(toGrant);
  }

  async grantsOf(linkId: string): Promise<Grant[]> {
    const rows = await this.db.query<GrantRow>(`SELECT * FROM grants WHERE link_id = $1 ORDER BY created_at, id`, [linkId]);
    return rows.map(toGrant);
  }

  async findGrantByTokenHash(tokenHash: string): Promise<{ grant: Grant; link: Link } | null> {
    const [g] = await this.db.query<GrantRow>(`SELECT * FROM grants WHERE token_hash = $1`, [tokenHash]);
    if (!g) {
      return null;
    }
    const link = await this.findLink(g.link_id);
    return link ? { grant: toGrant(g), link } : null;
  }

  async findGrant(id: string): Promise<Grant | null> {
    const [g] = await this.db.query<GrantRow>(`SELECT * FROM grants WHERE id = $1`, [id]);
    return g ? toGrant(g) : null;
  }

  /** Sets `opened_at` on the first view; returns whether this was it. */
  async markOpened(grantId: string): Promise<boolean> {
    const rows = await this.db.query(`UPDATE grants SET opened_at = now() WHERE id = $1 AND opened_at IS NULL RETURNING id`, [grantId]);
    return rows.length > 0;
  }

  /**
   * Claims a limited grant for one session, atomically: one statement that succeeds only if the
   * grant is live and unclaimed, already claimed by this session, or claimed by a session silent for
   * longer than the grace period that has delivered nothing (a claim that delivered bytes stays with
   * its holder until the link ends or its sender resets it). Under any concurrency, on any number of
   * replicas, one wins.
   */
  async claim(grantId: string, sessionHash: string, newClaimId: string, graceSeconds: number): Promise<ClaimResult | null> {
    const [row] = await this.db.query<{ claim_id: string; fresh: boolean; displaced: string | null }>(
      `UPDATE grants g SET
         claim_id = CASE WHEN old.claim_session = $2 AND old.claim_id IS NOT NULL THEN old.claim_id ELSE $3::uuid END,
         claimed_at = CASE WHEN old.claim_session = $2 AND old.claim_id IS NOT NULL THEN old.claimed_at ELSE now() END,
         claim_session = $2,
         claim_seen_at = now()
       FROM (SELECT id, claim_id, claim_session, claimed_at FROM grants WHERE id = $1 FOR UPDATE) old, links l
       WHERE g.id = old.id AND l.id = g.link_id
         AND g.status = 'active' AND l.revoked_at IS NULL AND l.ended_at IS NULL
         AND (l.expires_at IS NULL OR l.expires_at > now())
         AND (g.claim_id IS NULL OR g.claim_session = $2
              OR (g.claim_seen_at < now() - make_interval(secs => $4::float8) AND NOT ${DELIVERED_ANY('g.claim_id')}))
       RETURNING g.claim_id,
         (old.claim_id IS NULL OR old.claim_session IS DISTINCT FROM $2) AS fresh,
         CASE WHEN old.claim_session IS DISTINCT FROM $2 THEN old.claim_id END AS displaced`,
      [grantId, sessionHash, newClaimId, graceSeconds],
    );
    return row ? { claimId: row.claim_id, fresh: row.fresh, displacedClaimId: row.displaced } : null;
  }

  /**
   * Keeps a claim alive while its holder is still downloading. Returns false when the claim is gone
   * (revoked, reset, consumed) or its link has ended or expired: the download must stop.
   */
  async touchClaim(grantId: string, claimId: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE grants g SET claim_seen_at = now() FROM links l
       WHERE g.id = $1 AND g.claim_id = $2 AND g.status = 'active' AND l.id = g.link_id
         AND l.revoked_at IS NULL AND l.ended_at IS NULL AND (l.expires_at IS NULL OR l.expires_at > now())
       RETURNING g.id`,
      [grantId, claimId],
    );
    return rows.length > 0;
  }

  /** Whether a grant can still be downloaded right now: active, its link neither ended, revoked nor expired. */
  async grantLive(grantId: string): Promise<boolean> {
    const rows = await this.db.query(
      `SELECT 1 FROM grants g JOIN links l ON l.id = g.link_id
       WHERE g.id = $1 AND g.status = 'active' AND l.revoked_at IS NULL AND l.ended_at IS NULL AND (l.expires_at IS NULL OR l.expires_at > now())`,
      [grantId],
    );
    return rows.length > 0;
  }

  /** How many bytes of each file `cycleId` has delivered so far (files with none are left out). */
  async deliveredOf(cycleId: string): Promise<Map<string, number>> {
    const rows = await this.db.query<{ file_id: string; bytes: string | number }>(
      `SELECT d.file_id, COALESCE(sum(upper(r) - lower(r)), 0) AS bytes
       FROM grant_deliveries d CROSS JOIN LATERAL unnest(d.delivered) AS r
       WHERE d.cycle_id = $1 GROUP BY d.file_id`,
      [cycleId],
    );
    return new Map(rows.map((r) => [r.file_id, Number(r.bytes)]));
  }

  /** The bytes each grant's current claim has delivered, for the grants that hold a claim. */
  async claimDeliveredBytes(grantIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.db.query<{ grant_id: string; bytes: string | number }>(
      `SELECT g.id AS grant_id, COALESCE(sum(upper(r) - lower(r)), 0) AS bytes
       FROM grants g JOIN grant_deliveries d ON d.cycle_id = g.claim_id CROSS JOIN LATERAL unnest(d.delivered) AS r
       WHERE g.id = ANY($1::uuid[]) GROUP BY g.id`,
      [grantIds],
    );
    return new Map(rows.map((r) => [r.grant_id, Number(r.bytes)]));
  }

  /**
   * The sender's reset: drops claim `claimId` of an active grant, and what it had delivered, so that
   * the next download starts afresh from any session. Returns false when that claim is gone meanwhile.
   */
  async resetClaim(grantId: string, claimId: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE grants SET claim_id = NULL, claim_session = NULL, claimed_at = NULL, claim_seen_at = NULL
       WHERE id = $1 AND claim_id = $2 AND status = 'active' RETURNING id`,
      [grantId, claimId],
    );
    if (rows.length > 0) {
      await this.db.query(`DELETE FROM grant_deliveries WHERE cycle_id = $1`, [claimId]);
    }
    return rows.length > 0;
  }

  /** Locks the grant row for the rest of the transaction: deliveries of one grant are recorded one at a time. */
  async lockGrant(grantId: string): Promise<Grant | null> {
    const [g] = await this.db.query<GrantRow>(`SELECT * FROM grants WHERE id = $1 FOR UPDATE`, [grantId]);
    return g ? toGrant(g) : null;
  }

  /** Adds [start, endExclusive) to what `cycleId` has delivered of the file. */
  async addDelivered(cycleId: string, grantId: string, fileId: string, start: number, endExclusive: number): Promise<void> {
    await this.db.query(
      `INSERT INTO grant_deliveries AS d (cycle_id, grant_id, file_id, delivered)
       VALUES ($1, $2, $3, int8multirange(int8range($4::int8, $5::int8)))
       ON CONFLICT (cycle_id, file_id) DO UPDATE SET delivered = d.delivered + EXCLUDED.delivered`,
      [cycleId, grantId, fileId, start, endExclusive],
    );
  }

  /** How many files of the link `cycleId` has not yet delivered in full. */
  async undeliveredFiles(cycleId: string, linkId: string): Promise<number> {
    const [row] = await this.db.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM link_files f
       WHERE f.link_id = $2 AND NOT EXISTS (
         SELECT 1 FROM grant_deliveries d WHERE d.cycle_id = $1 AND d.file_id = f.id AND d.delivered @> int8range(0, f.size))`,
      [cycleId, linkId],
    );
    return Number(row!.n);
  }

  async clearDeliveries(cycleId: string): Promise<void> {
    await this.db.query(`DELETE FROM grant_deliveries WHERE cycle_id = $1`, [cycleId]);
  }

  /**
   * Counts one completed download. For a claimed grant, only while `claimId` still holds the claim;
   * the grant is consumed when it reaches its limit. Returns the grant after the change, or null.
   */
  async completeDownload(grantId: string, claimId: string | null, limit: number | null): Promise<Grant | null> {
    const [row] = await this.db.query<GrantRow>(
      `UPDATE grants SET
         downloads = downloads + 1,
         downloaded_at = COALESCE(downloaded_at, now()),
         claim_id = NULL, claim_session = NULL, claimed_at = NULL, claim_seen_at = NULL,
         status = CASE WHEN $3::int IS NOT NULL AND downloads + 1 >= $3::int THEN 'consumed' ELSE status END,
         ended_at = CASE WHEN $3::int IS NOT NULL AND downloads + 1 >= $3::int THEN now() ELSE ended_at END
       WHERE id = $1 AND status = 'active' AND ($2::uuid IS NULL OR claim_id = $2::uuid)
       RETURNING *`,
      [grantId, claimId, limit],
    );
    return row ? toGrant(row) : null;
  }

  /**
   * Ends the link when none of its grants can still be used: as revoked when every grant was
   * revoked, else as consumed. Returns how it ended, or null when it has not (or had already).
   */
  async endLinkIfAllGrantsEnded(linkId: string): Promise<'revoked' | 'consumed' | null> {
    const [row] = await this.db.query<{ ended_reason: 'revoked' | 'consumed' }>(
      `UPDATE links SET ended_at = now(),
         ended_reason = CASE WHEN EXISTS (SELECT 1 FROM grants WHERE link_id = $1 AND status <> 'revoked') THEN 'consumed' ELSE 'revoked' END,
         revoked_at = CASE WHEN EXISTS (SELECT 1 FROM grants WHERE link_id = $1 AND status <> 'revoked') THEN revoked_at ELSE now() END
       WHERE id = $1 AND ended_at IS NULL AND NOT EXISTS (SELECT 1 FROM grants WHERE link_id = $1 AND status = 'active')
       RETURNING ended_reason`,
      [linkId],
    );
    return row?.ended_reason ?? null;
  }

  /** Revokes a link and its live grants. Returns false if it was already revoked. */
  async revokeLink(linkId: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE links SET revoked_at = now(), ended_at = COALESCE(ended_at, now()), ended_reason = COALESCE(ended_reason, 'revoked')
       WHERE id = $1 AND revoked_at IS NULL RETURNING id`,
      [linkId],
    );
    if (rows.length === 0) {
      return false;
    }
    await this.db.query(
      `UPDATE grants SET status = 'revoked', ended_at = now(), claim_id = NULL, claim_session = NULL, claim_seen_at = NULL
       WHERE link_id = $1 AND status = 'active'`,
      [linkId],
    );
    return true;
  }

  async revokeGrant(grantId: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE grants SET status = 'revoked', ended_at = now(), claim_id = NULL, claim_session = NULL, claim_seen_at = NULL
       WHERE id = $1 AND status = 'active' RETURNING id`,
      [grantId],
    );
    return rows.length > 0;
  }

  /** Live links with their owner's roles and groups, a page at a time (keyset on id). */
  async liveLinksWithOwners(afterId: string | null, limit: number): Promise<Array<{ link: Link; ownerRoles: string[]; ownerGroups: string[] }>> {
    const rows = await this.db.query<LinkRow & { owner_roles: string[]; owner_groups: string[] }>(
      `SELECT ${LINK_COLUMNS}, u.roles AS owner_roles, u.groups AS owner_groups FROM links l JOIN users u ON u.id = l.owner_id
       WHERE l.ended_at IS NULL AND l.revoked_at IS NULL AND (l.expires_at IS NULL OR l.expires_at > now())
         AND ($1::uuid IS NULL OR l.id > $1)
       ORDER BY l.id LIMIT $2`,
      [afterId, limit],
    );
    return rows.map((r) => ({ link: toLink(r), ownerRoles: r.owner_roles, ownerGroups: r.owner_groups }));
  }

  /** Moves a live link's expiry earlier; returns false when it has ended meanwhile or already ends sooner. */
  async shortenExpiry(linkId: string, expiresAt: Date): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE links SET expires_at = $2 WHERE id = $1 AND ended_at IS NULL AND (expires_at IS NULL OR expires_at > $2) RETURNING id`,
      [linkId, expiresAt],
    );
    return rows.length > 0;
  }

  /** Ends every live link whose expiry has passed; returns their ids. */
  async expireDue(limit: number): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `UPDATE links SET ended_at = now(), ended_reason = 'expired'
       WHERE id IN (SELECT id FROM links WHERE ended_at IS NULL AND expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [limit],
    );
    if (rows.length > 0) {
      await this.db.query(
        `UPDATE grants SET status = 'expired', ended_at = now(), claim_id = NULL, claim_session = NULL, claim_seen_at = NULL
         WHERE link_id = ANY($1::uuid[]) AND status = 'active'`,
        [rows.map((r) => r.id)],
      );
    }
    return rows.map((r) => r.id);
  }

  /**
   * Releases claims whose holder has been silent for longer than the grace period and that have
   * delivered nothing; a claim that delivered bytes is never handed on silently.
   */
  async releaseStaleClaims(graceSeconds: number, limit: number): Promise<Array<{ grantId: string; linkId: string; claimId: string }>> {
    const rows = await this.db.query<{ id: string; link_id: string; old_claim: string }>(
      `UPDATE grants g SET claim_id = NULL, claim_session = NULL, claimed_at = NULL, claim_seen_at = NULL
       FROM (SELECT id, claim_id AS old_claim FROM grants s
             WHERE claim_id IS NOT NULL AND claim_seen_at < now() - make_interval(secs => $1::float8)
               AND NOT ${DELIVERED_ANY('s.claim_id')}
             LIMIT $2 FOR UPDATE SKIP LOCKED) old
       WHERE g.id = old.id
       RETURNING g.id, g.link_id, old.old_claim`,
      [graceSeconds, limit],
    );
    if (rows.length > 0) {
      await this.db.query(`DELETE FROM grant_deliveries WHERE cycle_id = ANY($1::uuid[])`, [rows.map((r) => r.old_claim)]);
    }
    return rows.map((r) => ({ grantId: r.id, linkId: r.link_id, claimId: r.old_claim }));
  }

  /** Send links that have ended and whose copies are still stored. */
  async purgeCandidates(limit: number): Promise<Link[]> {
    const rows = await this.db.query<LinkRow>(
      `SELECT ${LINK_COLUMNS} FROM links l JOIN users u ON u.id = l.owner_id
       WHERE l.kind = 'send' AND l.ended_at IS NOT NULL AND l.purged_at IS NULL ORDER BY l.ended_at LIMIT $1`,
      [limit],
    );
    return rows.map(toLink);
  }

  /** Marks a link purged; returns false if another process already did. */
  async markPurged(linkId: string): Promise<boolean> {
    const rows = await this.db.query(`UPDATE links SET purged_at = now() WHERE id = $1 AND purged_at IS NULL RETURNING id`, [linkId]);
    if (rows.length > 0) {
      await this.db.query(`UPDATE link_files SET purged_at = now() WHERE link_id = $1`, [linkId]);
      await this.db.query(`DELETE FROM grant_deliveries WHERE grant_id IN (SELECT id FROM grants WHERE link_id = $1)`, [linkId]);
    }
    return rows.length > 0;
  }

  // Uploads in progress ---------------------------------------------------------------------

  async insertPending(p: { id: string; connection: string; key: string }): Promise<void> {
    await this.db.query(`INSERT INTO pending_uploads (id, storage_connection, storage_key) VALUES ($1, $2, $3)`, [p.id, p.connection, p.key]);
  }

  async touchPending(ids: readonly string[]): Promise<void> {
    await this.db.query(`UPDATE pending_uploads SET seen_at = now() WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async deletePending(ids: readonly string[]): Promise<void> {
    await this.db.query(`DELETE FROM pending_uploads WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /** Uploads whose writer has been silent for `staleSeconds`: their writer died. */
  async stalePending(staleSeconds: number, limit: number): Promise<Array<{ id: string; connection: string; key: string }>> {
    const rows = await this.db.query<{ id: string; storage_connection: string; storage_key: string }>(
      `SELECT id, storage_connection, storage_key FROM pending_uploads
       WHERE seen_at < now() - make_interval(secs => $1::float8) ORDER BY seen_at LIMIT $2`,
      [staleSeconds, limit],
    );
    return rows.map((r) => ({ id: r.id, connection: r.storage_connection, key: r.storage_key }));
  }

  // Recipient sessions ----------------------------------------------------------------------

  /** What a browser session has proved for one grant: its password, and which email it owns. */
  async sessionState(sessionHash: string, grantId: string): Promise<{ unlocked: boolean; verifiedEmail: string | null }> {
    const [row] = await this.db.query<{ unlocked: boolean; email: string | null }>(
      `SELECT $2::uuid = ANY(unlocked_grants) AS unlocked, verified ->> ($2::text) AS email FROM recipient_sessions WHERE id_hash = $1`,
      [sessionHash, grantId],
    );
    return { unlocked: row?.unlocked ?? false, verifiedEmail: row?.email ?? null };
  }

  async markVerified(sessionHash: string, grantId: string, email: string): Promise<void> {
    await this.db.query(
      `INSERT INTO recipient_sessions AS s (id_hash, verified) VALUES ($1, jsonb_build_object($2::text, $3::text))
       ON CONFLICT (id_hash) DO UPDATE SET seen_at = now(), verified = s.verified || jsonb_build_object($2::text, $3::text)`,
      [sessionHash, grantId, email],
    );
  }

  /**
   * Moves everything keyed by a browser session to a new session id, in one transaction: what it
   * proved (unlocks, verified emails), its email challenges, the claims it holds and the bytes its
   * unlimited grants delivered. The old id keeps nothing.
   */
  async rotateSession(oldHash: string, newHash: string): Promise<void> {
    await this.db.transaction(async () => {
      await this.db.query(`UPDATE recipient_sessions SET id_hash = $2, seen_at = now() WHERE id_hash = $1`, [oldHash, newHash]);
      await this.db.query(`UPDATE email_challenges SET session_hash = $2 WHERE session_hash = $1`, [oldHash, newHash]);
      await this.db.query(`UPDATE grants SET claim_session = $2 WHERE claim_session = $1`, [oldHash, newHash]);
      // A grant without a download limit counts its deliveries under a cycle derived from the session.
      await this.db.query(
        `UPDATE grant_deliveries d SET cycle_id = ${hexAsUuid('h.to_hex')}
         FROM (SELECT DISTINCT grant_id,
                 encode(sha256(convert_to($1::text || ':' || grant_id::text, 'UTF8')), 'hex') AS from_hex,
                 encode(sha256(convert_to($2::text || ':' || grant_id::text, 'UTF8')), 'hex') AS to_hex
               FROM grant_deliveries) h
         WHERE d.grant_id = h.grant_id AND d.cycle_id = ${hexAsUuid('h.from_hex')}`,
        [oldHash, newHash],
      );
    });
  }

  // Email challenges ------------------------------------------------------------------------

  /** The challenge of one session for one grant, locked for the rest of the transaction. */
  async lockChallenge(grantId: string, sessionHash: string): Promise<EmailChallenge | null> {
    const [row] = await this.db.query<ChallengeRow>(
      `SELECT * FROM email_challenges WHERE grant_id = $1 AND session_hash = $2 FOR UPDATE`,
      [grantId, sessionHash],
    );
    return row ? toChallenge(row) : null;
  }

  async challengeOf(grantId: string, sessionHash: string): Promise<EmailChallenge | null> {
    const [row] = await this.db.query<ChallengeRow>(`SELECT * FROM email_challenges WHERE grant_id = $1 AND session_hash = $2`, [grantId, sessionHash]);
    return row ? toChallenge(row) : null;
  }

  /** Issues a new code for the session, replacing any earlier one; failed attempts and a lock are kept. */
  async issueChallenge(c: { grantId: string; sessionHash: string; email: string; allowed: boolean; codeHash: string; issuedAt: Date; expiresAt: Date }): Promise<void> {
    await this.db.query(
      `INSERT INTO email_challenges AS c (grant_id, session_hash, email, allowed, code_hash, issued_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (grant_id, session_hash) DO UPDATE SET email = EXCLUDED.email, allowed = EXCLUDED.allowed,
         code_hash = EXCLUDED.code_hash, issued_at = EXCLUDED.issued_at, expires_at = EXCLUDED.expires_at, used_at = NULL`,
      [c.grantId, c.sessionHash, c.email, c.allowed, c.codeHash, c.issuedAt, c.expiresAt],
    );
  }

  async recordChallengeFailure(grantId: string, sessionHash: string, lockAt: Date | null): Promise<number> {
    const [row] = await this.db.query<{ failures: number }>(
      `UPDATE email_challenges SET failures = failures + 1, locked_at = COALESCE(locked_at, $3)
       WHERE grant_id = $1 AND session_hash = $2 RETURNING failures`,
      [grantId, sessionHash, lockAt],
    );
    return Number(row?.failures ?? 0);
  }

  async useChallenge(grantId: string, sessionHash: string, at: Date): Promise<void> {
    await this.db.query(`UPDATE email_challenges SET used_at = $3 WHERE grant_id = $1 AND session_hash = $2`, [grantId, sessionHash, at]);
  }

  async markUnlocked(sessionHash: string, grantId: string): Promise<void> {
    await this.db.query(
      `INSERT INTO recipient_sessions AS s (id_hash, unlocked_grants) VALUES ($1, ARRAY[$2::uuid])
       ON CONFLICT (id_hash) DO UPDATE SET seen_at = now(),
         unlocked_grants = CASE WHEN $2::uuid = ANY(s.unlocked_grants) THEN s.unlocked_grants ELSE array_append(s.unlocked_grants, $2::uuid) END`,
      [sessionHash, grantId],
    );
  }

  async sweepSessions(idleSeconds: number): Promise<void> {
    await this.db.query(`DELETE FROM recipient_sessions WHERE seen_at < now() - make_interval(secs => $1::float8)`, [idleSeconds]);
  }

  /** Email challenges (address, attempts) issued longer ago than any browser session lives. */
  async sweepChallenges(olderThanSeconds: number): Promise<void> {
    await this.db.query(`DELETE FROM email_challenges WHERE issued_at < now() - make_interval(secs => $1::float8)`, [olderThanSeconds]);
  }
}
