import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';
import type { Role } from './user.js';

export interface LocalAccount {
  readonly id: string;
  readonly username: string;
  readonly email: string | null;
  readonly displayName: string | null;
  readonly roles: Role[];
  readonly passwordHash: string | null;
  readonly totpSecret: string | null;
  readonly totpLastStep: number | null;
  readonly failedLogins: number;
  readonly lockedUntil: Date | null;
}

/** The SQL of local sign-in: passwords, TOTP steps, lockouts, recovery codes. */
@Injectable()
export class LocalAdminRepository {
  constructor(private readonly db: Database) {}

  async find(username: string): Promise<LocalAccount | null> {
    const [r] = await this.db.query<{
      id: string;
      username: string;
      email: string | null;
      display_name: string | null;
      roles: Role[];
      password_hash: string | null;
      totp_secret: string | null;
      totp_last_step: string | number | null;
      failed_logins: number;
      locked_until: Date | null;
    }>(
      `SELECT id, username, email, display_name, roles, password_hash, totp_secret, totp_last_step, failed_logins, locked_until
       FROM users WHERE username = $1 AND source = 'local' AND disabled_at IS NULL`,
      [username],
    );
    return r
      ? {
          id: r.id,
          username: r.username,
          email: r.email,
          displayName: r.display_name,
          roles: r.roles,
          passwordHash: r.password_hash,
          totpSecret: r.totp_secret,
          totpLastStep: r.totp_last_step === null ? null : Number(r.totp_last_step),
          failedLogins: Number(r.failed_logins),
          lockedUntil: r.locked_until ? new Date(r.locked_until) : null,
        }
      : null;
  }

  async findById(id: string): Promise<LocalAccount | null> {
    const [r] = await this.db.query<{ username: string }>(`SELECT username FROM users WHERE id = $1`, [id]);
    return r ? this.find(r.username) : null;
  }

  async setPassword(userId: string, hash: string): Promise<void> {
    await this.db.query(`UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL WHERE id = $1`, [userId, hash]);
  }

  /**
   * Counts a failure; once `maxFailures` is reached the account locks for `base` seconds, doubling
   * with each further failure up to `max`. Returns the lock end, if any.
   */
  async recordFailure(userId: string, maxFailures: number, baseSeconds: number, maxSeconds: number): Promise<Date | null> {
    const [r] = await this.db.query<{ locked_until: Date | null }>(
      `UPDATE users SET failed_logins = failed_logins + 1,
         locked_until = CASE WHEN failed_logins + 1 >= $2
           THEN now() + make_interval(secs => LEAST($4::float8, $3::float8 * power(2, failed_logins + 1 - $2)))
           ELSE locked_until END
       WHERE id = $1 RETURNING locked_until`,
      [userId, maxFailures, baseSeconds, maxSeconds],
    );
    return r?.locked_until ? new Date(r.locked_until) : null;
  }

  async clearFailures(userId: string): Promise<void> {
    await this.db.query(`UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = now() WHERE id = $1`, [userId]);
  }

  /** Stores a new, not yet confirmed TOTP secret (sealed). Only while no secret has been confirmed. */
  async setPendingTotp(userId: string, sealed: string): Promise<boolean> {
    const rows = await this.db.query(`UPDATE users SET totp_secret = $2 WHERE id = $1 AND totp_last_step IS NULL RETURNING id`, [userId, sealed]);
    return rows.length > 0;
  }

  /**
   * Accepts a TOTP time step only if it is newer than every step accepted before: a code can never
   * be used twice, nor an older one after a newer. One conditional statement.
   */
  async acceptStep(userId: string, step: number): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2) RETURNING id`,
      [userId, step],
    );
    return rows.length > 0;
  }

  async replaceRecoveryCodes(userId: string, hashes: readonly string[]): Promise<void> {
    await this.db.query(`DELETE FROM recovery_codes WHERE user_id = $1`, [userId]);
    for (const h of hashes) {
      await this.db.query(`INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)`, [userId, h]);
    }
  }

  async useRecoveryCode(userId: string, hash: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING user_id`,
      [userId, hash],
    );
    return rows.length > 0;
  }

  async insertLocalUser(u: { id: string; username: string; email: string | null; roles: readonly Role[]; groups?: readonly string[] }): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO users (id, username, email, roles, groups, source) VALUES ($1, $2, $3, $4::text[], $5::text[], 'local')
       ON CONFLICT (username) DO NOTHING RETURNING id`,
      [u.id, u.username, u.email, u.roles, u.groups ?? []],
    );
    return rows.length > 0;
  }
}
