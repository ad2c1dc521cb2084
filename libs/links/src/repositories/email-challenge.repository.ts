import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';
import { d } from './link-rows.js';

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

/** Every SQL statement about the emailed codes that prove a recipient owns an address. */
@Injectable()
export class EmailChallengeRepository {
  constructor(private readonly db: Database) {}

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

  /** Email challenges (address, attempts) issued longer ago than any browser session lives. */
  async sweepChallenges(olderThanSeconds: number): Promise<void> {
    await this.db.query(`DELETE FROM email_challenges WHERE issued_at < now() - make_interval(secs => $1::float8)`, [olderThanSeconds]);
  }
}
