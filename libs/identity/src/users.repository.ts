import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';
import type { Role } from './user.js';

/** A user as the `users` table holds it, with how many live credentials they have. */
export interface UserRecord {
  readonly id: string;
  readonly username: string;
  readonly email: string | null;
  readonly displayName: string | null;
  readonly roles: Role[];
  readonly groups: string[];
  /** `local` or `sso`. */
  readonly source: string;
  /** `oidc:<id>` or `saml:<id>` for SSO users. */
  readonly idp: string | null;
  readonly disabledAt: Date | null;
  readonly createdAt: Date;
  readonly lastSignInAt: Date | null;
  readonly liveTokens: number;
  readonly liveSshKeys: number;
  readonly liveAppPasswords: number;
}

/** What the administrators' list of users asks for; every filter is optional. */
export interface UserListFilter {
  /** A part of the user name, email or display name (case-insensitive). */
  readonly search: string | null;
  readonly role: Role | null;
  readonly group: string | null;
  readonly disabled: boolean | null;
  /** The id of the last user of the previous page. */
  readonly after: string | null;
  readonly limit: number;
}

interface UserRow {
  id: string;
  username: string;
  email: string | null;
  display_name: string | null;
  roles: Role[];
  groups: string[];
  source: string;
  idp: string | null;
  disabled_at: Date | null;
  created_at: Date;
  last_login_at: Date | null;
  live_tokens: number;
  live_keys: number;
  live_app_passwords: number;
}

const COLUMNS = `u.id, u.username, u.email, u.display_name, u.roles, u.groups, u.source, u.idp, u.disabled_at, u.created_at, u.last_login_at,
  (SELECT count(*)::int FROM api_tokens t WHERE t.user_id = u.id AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())) AS live_tokens,
  (SELECT count(*)::int FROM ssh_keys k WHERE k.user_id = u.id AND k.revoked_at IS NULL) AS live_keys,
  (SELECT count(*)::int FROM app_passwords p WHERE p.user_id = u.id AND p.revoked_at IS NULL) AS live_app_passwords`;

const toRecord = (r: UserRow): UserRecord => ({
  id: r.id,
  username: r.username,
  email: r.email,
  displayName: r.display_name,
  roles: r.roles,
  groups: r.groups,
  source: r.source,
  idp: r.idp,
  disabledAt: r.disabled_at ? new Date(r.disabled_at) : null,
  createdAt: new Date(r.created_at),
  lastSignInAt: r.last_login_at ? new Date(r.last_login_at) : null,
  liveTokens: Number(r.live_tokens),
  liveSshKeys: Number(r.live_keys),
  liveAppPasswords: Number(r.live_app_passwords),
});

/** `%`, `_` and `\` stand for themselves in a search. */
const likeEscaped = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The SQL of user administration: the directory of users, and the changes administrators make to them. */
@Injectable()
export class UsersRepository {
  constructor(private readonly db: Database) {}

  /** One page of users in user-name order. */
  async list(f: UserListFilter): Promise<UserRecord[]> {
    const params: unknown[] = [f.limit];
    const where: string[] = [];
    const param = (v: unknown): string => {
      params.push(v);
      return `$${params.length}`;
    };
    if (f.after) {
      // The cursor names the last user of the previous page (user names are unique).
      where.push(`u.username > (SELECT c.username FROM users c WHERE c.id = ${param(f.after)})`);
    }
    if (f.search) {
      const p = param(`%${likeEscaped(f.search)}%`);
      where.push(`(u.username ILIKE ${p} OR u.email ILIKE ${p} OR u.display_name ILIKE ${p})`);
    }
    if (f.role) {
      where.push(`${param(f.role)} = ANY(u.roles)`);
    }
    if (f.group) {
      where.push(`${param(f.group)} = ANY(u.groups)`);
    }
    if (f.disabled !== null) {
      where.push(f.disabled ? 'u.disabled_at IS NOT NULL' : 'u.disabled_at IS NULL');
    }
    const rows = await this.db.query<UserRow>(
      `SELECT ${COLUMNS} FROM users u ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY u.username LIMIT $1`,
      params,
    );
    return rows.map(toRecord);
  }

  async find(id: string): Promise<UserRecord | null> {
    const [row] = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users u WHERE u.id = $1`, [id]);
    return row ? toRecord(row) : null;
  }

  async idOf(username: string): Promise<string | null> {
    const [row] = await this.db.query<{ id: string }>('SELECT id FROM users WHERE username = $1', [username]);
    return row?.id ?? null;
  }

  /**
   * Locks the enabled administrators' rows (and the target's) for the rest of the transaction, so
   * that two administrators disabling each other at once cannot leave none; answers the enabled
   * administrators' ids.
   */
  async lockForChange(userId: string): Promise<string[]> {
    const rows = await this.db.query<{ id: string; admin: boolean }>(
      `SELECT id, ('admin' = ANY(roles) AND disabled_at IS NULL) AS admin FROM users WHERE id = $1 OR ('admin' = ANY(roles) AND disabled_at IS NULL) ORDER BY id FOR UPDATE`,
      [userId],
    );
    return rows.filter((r) => r.admin).map((r) => r.id);
  }

  /** Sets or clears `disabled_at` (keeping the first instant of a repeated disable). */
  async setDisabled(userId: string, disabled: boolean): Promise<void> {
    await this.db.query(`UPDATE users SET disabled_at = CASE WHEN $2 THEN COALESCE(disabled_at, now()) ELSE NULL END WHERE id = $1`, [userId, disabled]);
  }

  async setRoles(userId: string, roles: readonly Role[]): Promise<void> {
    await this.db.query(`UPDATE users SET roles = $2::text[] WHERE id = $1`, [userId, roles]);
  }
}
