import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';
import type { Role, User } from './user.js';

interface UserRow {
  id: string;
  username: string;
  email: string | null;
  display_name: string | null;
  roles: Role[];
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  email: r.email,
  displayName: r.display_name,
  roles: r.roles,
});

export interface ApiTokenRecord {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly lastUsedAt?: string | null;
  readonly revokedAt?: string | null;
}

/** A token as administrators see it: with its owner (never its secret). */
export interface OwnedApiTokenRecord {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
  readonly owner: { readonly id: string; readonly user: string; readonly displayName: string | null };
}

interface OwnedTokenRow {
  id: string;
  name: string;
  scopes: string[];
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
  owner_id: string;
  owner_username: string;
  owner_display_name: string | null;
}

const isoOf = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);
const toOwnedToken = (r: OwnedTokenRow): OwnedApiTokenRecord => ({
  id: r.id,
  name: r.name,
  scopes: r.scopes,
  createdAt: isoOf(r.created_at)!,
  expiresAt: isoOf(r.expires_at),
  lastUsedAt: isoOf(r.last_used_at),
  revokedAt: isoOf(r.revoked_at),
  owner: { id: r.owner_id, user: r.owner_username, displayName: r.owner_display_name },
});

const OWNED_TOKEN_COLUMNS = `t.id, t.name, t.scopes, t.created_at, t.expires_at, t.last_used_at, t.revoked_at, u.id AS owner_id, u.username AS owner_username, u.display_name AS owner_display_name`;

@Injectable()
export class IdentityRepository {
  constructor(private readonly db: Database) {}

  async findUserByName(username: string): Promise<User | null> {
    const [row] = await this.db.query<UserRow>(
      'SELECT id, username, email, display_name, roles FROM users WHERE username = $1 AND disabled_at IS NULL',
      [username],
    );
    return row ? toUser(row) : null;
  }

  /** The SSO user with this subject, disabled or not. */
  async findUserBySubject(idp: string, subject: string): Promise<(User & { disabled: boolean }) | null> {
    const [row] = await this.db.query<UserRow & { disabled: boolean }>(
      'SELECT id, username, email, display_name, roles, disabled_at IS NOT NULL AS disabled FROM users WHERE idp = $1 AND subject = $2',
      [idp, subject],
    );
    return row ? { ...toUser(row), disabled: row.disabled } : null;
  }

  /**
   * Inserts the SSO user unless the row would clash with any existing one: the same (idp, subject),
   * signed in at the same moment by another request, or a user name already held (by anyone,
   * disabled users included). One statement; returns whether it was inserted.
   */
  async insertSsoUser(user: User, groups: readonly string[], idp: string, subject: string): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO users (id, username, email, display_name, roles, groups, source, idp, subject, last_login_at)
       VALUES ($1, $2, $3, $4, $5::text[], $6::text[], 'sso', $7, $8, now())
       ON CONFLICT DO NOTHING RETURNING id`,
      [user.id, user.username, user.email, user.displayName, user.roles, groups, idp, subject],
    );
    return rows.length > 0;
  }

  /** Whether any user, enabled or disabled, holds this name. */
  async usernameTaken(username: string): Promise<boolean> {
    const rows = await this.db.query('SELECT 1 FROM users WHERE username = $1', [username]);
    return rows.length > 0;
  }

  async updateSsoProfile(userId: string, email: string | null, displayName: string | null, roles: readonly Role[], groups: readonly string[]): Promise<void> {
    await this.db.query(
      `UPDATE users SET email = $2, display_name = $3, roles = $4::text[], groups = $5::text[], last_login_at = now() WHERE id = $1`,
      [userId, email, displayName, roles, groups],
    );
  }

  /** The IdP groups of a user (group policy overrides apply to them). */
  async groupsOf(userId: string): Promise<string[]> {
    const [row] = await this.db.query<{ groups: string[] }>(`SELECT groups FROM users WHERE id = $1`, [userId]);
    return row?.groups ?? [];
  }

  /** Inserts the user unless one with that name exists; returns whether it was created. */
  async insertUser(user: User, source: string): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO users (id, username, email, display_name, roles, source) VALUES ($1, $2, $3, $4, $5::text[], $6)
       ON CONFLICT (username) DO NOTHING RETURNING id`,
      [user.id, user.username, user.email, user.displayName, user.roles, source],
    );
    return rows.length > 0;
  }

  async insertToken(t: { id: string; userId: string; name: string; tokenHash: string; scopes: readonly string[]; expiresAt: Date | null }): Promise<ApiTokenRecord> {
    const [row] = await this.db.query<{ created_at: Date }>(
      `INSERT INTO api_tokens (id, user_id, name, token_hash, scopes, expires_at) VALUES ($1, $2, $3, $4, $5::text[], $6) RETURNING created_at`,
      [t.id, t.userId, t.name, t.tokenHash, t.scopes, t.expiresAt],
    );
    return {
      id: t.id,
      name: t.name,
      scopes: t.scopes,
      createdAt: new Date(row!.created_at).toISOString(),
      expiresAt: t.expiresAt?.toISOString() ?? null,
    };
  }

  async listTokens(userId: string): Promise<ApiTokenRecord[]> {
    const rows = await this.db.query<{ id: string; name: string; scopes: string[]; created_at: Date; expires_at: Date | null; last_used_at: Date | null; revoked_at: Date | null }>(
      `SELECT id, name, scopes, created_at, expires_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC`,
      [userId],
    );
    const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      scopes: r.scopes,
      createdAt: iso(r.created_at)!,
      expiresAt: iso(r.expires_at),
      lastUsedAt: iso(r.last_used_at),
      revokedAt: iso(r.revoked_at),
    }));
  }

  async revokeToken(userId: string, tokenId: string): Promise<boolean> {
    const rows = await this.db.query(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id`, [
      tokenId,
      userId,
    ]);
    return rows.length > 0;
  }

  /** Revokes every token of the user that is not revoked yet; answers how many of them were still live (not expired). */
  async revokeAllTokensOf(userId: string): Promise<number> {
    const rows = await this.db.query<{ live: boolean }>(
      `UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING (expires_at IS NULL OR expires_at > now()) AS live`,
      [userId],
    );
    return rows.filter((r) => r.live).length;
  }

  /** Every token of one user, newest first, revoked ones included, with its owner. */
  async tokensOf(userId: string): Promise<OwnedApiTokenRecord[]> {
    const rows = await this.db.query<OwnedTokenRow>(
      `SELECT ${OWNED_TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.user_id = $1 ORDER BY t.created_at DESC, t.id DESC`,
      [userId],
    );
    return rows.map(toOwnedToken);
  }

  /**
   * One page of every user's live tokens (not revoked, not expired), newest first, with their
   * owners; `after` is the id of the last token of the previous page.
   */
  async liveTokens(page: { limit: number; after: string | null }): Promise<OwnedApiTokenRecord[]> {
    const rows = await this.db.query<OwnedTokenRow>(
      `SELECT ${OWNED_TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id
       WHERE t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
         AND ($2::uuid IS NULL OR (t.created_at, t.id) < (SELECT c.created_at, c.id FROM api_tokens c WHERE c.id = $2))
       ORDER BY t.created_at DESC, t.id DESC LIMIT $1`,
      [page.limit, page.after],
    );
    return rows.map(toOwnedToken);
  }

  /** Revokes anyone's live token (an administrator's act); answers it with its owner, or null when no such token is live. */
  async revokeAnyToken(tokenId: string): Promise<OwnedApiTokenRecord | null> {
    const [row] = await this.db.query<OwnedTokenRow>(
      `UPDATE api_tokens t SET revoked_at = now() FROM users u WHERE t.id = $1 AND u.id = t.user_id AND t.revoked_at IS NULL RETURNING ${OWNED_TOKEN_COLUMNS}`,
      [tokenId],
    );
    return row ? toOwnedToken(row) : null;
  }

  /** The user behind a live token (not revoked, not expired), recording its use at most once a minute. */
  async userByTokenHash(tokenHash: string): Promise<{ user: User; scopes: string[] } | null> {
    const [row] = await this.db.query<UserRow & { token_id: string; scopes: string[] }>(
      `UPDATE api_tokens t SET last_used_at = now()
       FROM users u
       WHERE t.token_hash = $1 AND u.id = t.user_id AND u.disabled_at IS NULL AND t.revoked_at IS NULL
         AND (t.expires_at IS NULL OR t.expires_at > now())
         AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute')
       RETURNING u.id, u.username, u.email, u.display_name, u.roles, t.id AS token_id, t.scopes`,
      [tokenHash],
    );
    if (row) {
      return { user: toUser(row), scopes: row.scopes };
    }
    const [fresh] = await this.db.query<UserRow & { scopes: string[] }>(
      `SELECT u.id, u.username, u.email, u.display_name, u.roles, t.scopes FROM api_tokens t JOIN users u ON u.id = t.user_id
       WHERE t.token_hash = $1 AND u.disabled_at IS NULL AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())`,
      [tokenHash],
    );
    return fresh ? { user: toUser(fresh), scopes: fresh.scopes } : null;
  }

  /** Why a token hash does not authenticate, and whose it is, for the audit of the refusal. */
  async tokenStatus(tokenHash: string): Promise<{ username: string; revoked: boolean; expired: boolean; userDisabled: boolean } | null> {
    const [row] = await this.db.query<{ username: string; revoked: boolean; expired: boolean; user_disabled: boolean }>(
      `SELECT u.username, t.revoked_at IS NOT NULL AS revoked, COALESCE(t.expires_at <= now(), false) AS expired, u.disabled_at IS NOT NULL AS user_disabled
       FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1`,
      [tokenHash],
    );
    return row ? { username: row.username, revoked: row.revoked, expired: row.expired, userDisabled: row.user_disabled } : null;
  }
}
