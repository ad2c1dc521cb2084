import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';
import type { DeliveryStatus, Grant, Link } from '../link.js';
import { LINK_COLUMNS, liveGrantSql } from './link.repository.js';
import { toGrant, toLink, type GrantRow, type LinkRow } from './link-rows.js';

/** SQL: whether the delivery cycle in column `claim` has delivered at least one byte. */
const DELIVERED_ANY = (claim: string): string =>
  `EXISTS (SELECT 1 FROM grant_deliveries dd WHERE dd.cycle_id = ${claim} AND NOT isempty(dd.delivered))`;

/** SQL: grant `g` of link `l` may be used now. */
const LIVE_NOW = liveGrantSql({ grant: 'g', link: 'l', now: 'now()' });

/** What a claim attempt found: the claim it holds now, and the one it displaced (a stale claim). */
export interface ClaimResult {
  readonly claimId: string;
  readonly fresh: boolean;
  readonly displacedClaimId: string | null;
}

/** Every SQL statement about recipient grants: their tokens, claims, delivered bytes and consumption. */
@Injectable()
export class GrantRepository {
  constructor(private readonly db: Database) {}

  async insertGrant(g: { id: string; linkId: string; tokenHash: string; recipient: string | null; deliveryStatus?: DeliveryStatus | null }): Promise<void> {
    await this.db.query(`INSERT INTO grants (id, link_id, token_hash, recipient, delivery_status) VALUES ($1, $2, $3, $4, $5)`, [
      g.id,
      g.linkId,
      g.tokenHash,
      g.recipient,
      g.deliveryStatus ?? null,
    ]);
  }

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
   * queued again. Refused (false) once the grant is no longer live or while a download holds it.
   */
  async rotateToken(grantId: string, tokenHash: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE grants g SET token_hash = $2, delivery_status = 'queued', delivered_at = NULL, delivery_error = NULL
       FROM links l WHERE g.id = $1 AND l.id = g.link_id AND ${LIVE_NOW} AND g.claim_id IS NULL RETURNING g.id`,
      [grantId, tokenHash],
    );
    return rows.length > 0;
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
    const [l] = await this.db.query<LinkRow>(`SELECT ${LINK_COLUMNS} FROM links l JOIN users u ON u.id = l.owner_id WHERE l.id = $1`, [g.link_id]);
    return l ? { grant: toGrant(g), link: toLink(l) } : null;
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
       WHERE g.id = old.id AND l.id = g.link_id AND ${LIVE_NOW}
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
       WHERE g.id = $1 AND g.claim_id = $2 AND l.id = g.link_id AND ${LIVE_NOW}
       RETURNING g.id`,
      [grantId, claimId],
    );
    return rows.length > 0;
  }

  /** Whether a grant can still be downloaded right now (`liveGrantSql`). */
  async grantLive(grantId: string): Promise<boolean> {
    const rows = await this.db.query(
      `SELECT 1 FROM grants g JOIN links l ON l.id = g.link_id
       WHERE g.id = $1 AND ${LIVE_NOW}`,
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

  async revokeGrant(grantId: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE grants SET status = 'revoked', ended_at = now(), claim_id = NULL, claim_session = NULL, claim_seen_at = NULL
       WHERE id = $1 AND status = 'active' RETURNING id`,
      [grantId],
    );
    return rows.length > 0;
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
}
