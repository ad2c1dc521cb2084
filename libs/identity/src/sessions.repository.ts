import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';
import type { Role } from './user.js';

export type SessionStage = 'full' | 'totp' | 'totp_enroll';

export interface SessionRecord {
  readonly userId: string;
  readonly username: string;
  readonly email: string | null;
  readonly displayName: string | null;
  readonly roles: Role[];
  readonly method: string;
  readonly stage: SessionStage;
  readonly createdAt: Date;
}

/** Browser sessions and SSO round trips, server-side. */
@Injectable()
export class SessionsRepository {
  constructor(private readonly db: Database) {}

  async insert(s: { idHash: string; userId: string; method: string; stage: SessionStage; absoluteSeconds: number; ip: string | null; userAgent: string | null }): Promise<void> {
    await this.db.query(
      `INSERT INTO user_sessions (id_hash, user_id, method, stage, expires_at, ip, user_agent)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5::float8), $6, $7)`,
      [s.idHash, s.userId, s.method, s.stage, s.absoluteSeconds, s.ip, s.userAgent],
    );
  }

  /** A live session (not revoked, within its absolute and idle limits), touched as it is read. */
  async touch(idHash: string, idleSeconds: number): Promise<SessionRecord | null> {
    const [row] = await this.db.query<{
      user_id: string;
      username: string;
      email: string | null;
      display_name: string | null;
      roles: Role[];
      method: string;
      stage: SessionStage;
      created_at: Date;
    }>(
      `UPDATE user_sessions s SET last_seen_at = now()
       FROM users u
       WHERE s.id_hash = $1 AND u.id = s.user_id AND u.disabled_at IS NULL AND s.revoked_at IS NULL
         AND s.expires_at > now() AND s.last_seen_at > now() - make_interval(secs => $2::float8)
       RETURNING s.user_id, u.username, u.email, u.display_name, u.roles, s.method, s.stage, s.created_at`,
      [idHash, idleSeconds],
    );
    return row
      ? {
          userId: row.user_id,
          username: row.username,
          email: row.email,
          displayName: row.display_name,
          roles: row.roles,
          method: row.method,
          stage: row.stage,
          createdAt: new Date(row.created_at),
        }
      : null;
  }

  async revoke(idHash: string): Promise<boolean> {
    const rows = await this.db.query(`UPDATE user_sessions SET revoked_at = now() WHERE id_hash = $1 AND revoked_at IS NULL RETURNING user_id`, [idHash]);
    return rows.length > 0;
  }

  async revokeAllOf(userId: string): Promise<number> {
    const rows = await this.db.query(`UPDATE user_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id_hash`, [userId]);
    return rows.length;
  }

  async sweep(): Promise<void> {
    await this.db.query(`DELETE FROM user_sessions WHERE expires_at < now() - interval '7 days' OR revoked_at < now() - interval '7 days'`);
    await this.db.query(`DELETE FROM login_flows WHERE expires_at < now()`);
    await this.db.query(`DELETE FROM saml_cache WHERE expires_at < now()`);
  }

  // SSO round trips ----------------------------------------------------------------------------

  async insertFlow(f: { idHash: string; kind: string; provider: string; state: string | null; nonce: string | null; codeVerifier: string | null; returnTo: string | null; ttlSeconds: number }): Promise<void> {
    await this.db.query(
      `INSERT INTO login_flows (id_hash, kind, provider, state, nonce, code_verifier, return_to, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8::float8))`,
      [f.idHash, f.kind, f.provider, f.state, f.nonce, f.codeVerifier, f.returnTo, f.ttlSeconds],
    );
  }

  /** Takes a round trip out (single use): a replayed callback finds nothing. */
  async takeFlow(idHash: string, kind: string): Promise<{ provider: string; state: string | null; nonce: string | null; codeVerifier: string | null; returnTo: string | null } | null> {
    const [row] = await this.db.query<{ provider: string; state: string | null; nonce: string | null; code_verifier: string | null; return_to: string | null }>(
      `DELETE FROM login_flows WHERE id_hash = $1 AND kind = $2 AND expires_at > now() RETURNING provider, state, nonce, code_verifier, return_to`,
      [idHash, kind],
    );
    return row ? { provider: row.provider, state: row.state, nonce: row.nonce, codeVerifier: row.code_verifier, returnTo: row.return_to } : null;
  }

  // SAML request-id and assertion caches (shared by replicas) ----------------------------------

  async cacheSave(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO saml_cache (key, value, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3::float8))
       ON CONFLICT (key) DO NOTHING RETURNING key`,
      [key, value, ttlSeconds],
    );
    return rows.length > 0;
  }

  async cacheGet(key: string): Promise<string | null> {
    const [row] = await this.db.query<{ value: string }>(`SELECT value FROM saml_cache WHERE key = $1 AND expires_at > now()`, [key]);
    return row?.value ?? null;
  }

  async cacheTake(key: string): Promise<string | null> {
    const [row] = await this.db.query<{ value: string }>(`DELETE FROM saml_cache WHERE key = $1 RETURNING value`, [key]);
    return row?.value ?? null;
  }
}
