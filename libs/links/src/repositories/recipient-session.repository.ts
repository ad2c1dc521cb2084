import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';

/** A SHA-256 hex digest shaped as a UUID, as `uuidFrom` in recipient-downloads.ts does. */
const hexAsUuid = (hex: string): string =>
  `(substr(${hex}, 1, 8) || '-' || substr(${hex}, 9, 4) || '-4' || substr(${hex}, 14, 3) || '-8' || substr(${hex}, 18, 3) || '-' || substr(${hex}, 21, 12))::uuid`;

/**
 * Every SQL statement about recipient sessions: what a browser session has proved for a grant
 * (its password, a verified email), and moving all of it to a new session id.
 */
@Injectable()
export class RecipientSessionRepository {
  constructor(private readonly db: Database) {}

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
}
