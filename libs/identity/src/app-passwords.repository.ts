import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';
import type { Role, User } from './user.js';

/** An app password as its owner sees it listed (never its hash). */
export interface AppPasswordView {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

/** An enabled user and the hashes of their live app passwords, newest first, for a sign-in. */
export interface AppPasswordCandidates {
  readonly user: User;
  readonly passwords: ReadonlyArray<{ readonly id: string; readonly hash: string }>;
}

interface PasswordRow {
  id: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);
const toView = (r: PasswordRow): AppPasswordView => ({ id: r.id, name: r.name, createdAt: iso(r.created_at)!, lastUsedAt: iso(r.last_used_at) });

/** The `app_passwords` table: argon2id hashes only. */
@Injectable()
export class AppPasswordsRepository {
  constructor(private readonly db: Database) {}

  /** Locks the user's row for the rest of the transaction (the per-user limit); answers how many live app passwords the user has. */
  async lockAndCount(userId: string): Promise<number> {
    await this.db.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [userId]);
    const [row] = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM app_passwords WHERE user_id = $1 AND revoked_at IS NULL', [userId]);
    return row?.n ?? 0;
  }

  async insert(p: { id: string; userId: string; name: string; passwordHash: string }): Promise<AppPasswordView> {
    const [row] = await this.db.query<PasswordRow>(
      `INSERT INTO app_passwords (id, user_id, name, password_hash) VALUES ($1, $2, $3, $4) RETURNING id, name, created_at, last_used_at`,
      [p.id, p.userId, p.name, p.passwordHash],
    );
    return toView(row!);
  }

  /** The user's live app passwords, newest first. */
  async list(userId: string): Promise<AppPasswordView[]> {
    const rows = await this.db.query<PasswordRow>(
      `SELECT id, name, created_at, last_used_at FROM app_passwords WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id DESC`,
      [userId],
    );
    return rows.map(toView);
  }

  /** Revokes one of the user's live app passwords; answers it, or null when the user has no such live one. */
  async revoke(userId: string, id: string): Promise<AppPasswordView | null> {
    const [row] = await this.db.query<PasswordRow>(
      `UPDATE app_passwords SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id, name, created_at, last_used_at`,
      [id, userId],
    );
    return row ? toView(row) : null;
  }

  /** Revokes every live app password of the user (they stay revoked when the user is enabled again); answers how many. */
  async revokeAllOf(userId: string): Promise<number> {
    const rows = await this.db.query('UPDATE app_passwords SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id', [userId]);
    return rows.length;
  }

  /** The enabled user with this name and at most `limit` of their live app passwords (newest first); null when there is no such user. */
  async candidates(username: string, limit: number): Promise<AppPasswordCandidates | null> {
    const rows = await this.db.query<{ id: string; username: string; email: string | null; display_name: string | null; roles: Role[]; password_id: string | null; password_hash: string | null }>(
      `SELECT u.id, u.username, u.email, u.display_name, u.roles, p.id AS password_id, p.password_hash
       FROM users u
       LEFT JOIN LATERAL (
         SELECT id, password_hash FROM app_passwords WHERE user_id = u.id AND revoked_at IS NULL ORDER BY created_at DESC, id DESC LIMIT $2
       ) p ON true
       WHERE u.username = $1 AND u.disabled_at IS NULL`,
      [username, limit],
    );
    const first = rows[0];
    if (!first) {
      return null;
    }
    return {
      user: { id: first.id, username: first.username, email: first.email, displayName: first.display_name, roles: first.roles },
      passwords: rows.flatMap((r) => (r.password_id && r.password_hash ? [{ id: r.password_id, hash: r.password_hash }] : [])),
    };
  }

  /** Records a successful sign-in with the app password, when it is still live. Answers whether it was. */
  async markUsed(id: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE app_passwords p SET last_used_at = now() FROM users u WHERE p.id = $1 AND u.id = p.user_id AND p.revoked_at IS NULL AND u.disabled_at IS NULL RETURNING p.id`,
      [id],
    );
    return rows.length > 0;
  }

  /** Whether the app password is live and its user enabled. */
  async isLive(id: string): Promise<boolean> {
    const rows = await this.db.query(
      'SELECT 1 FROM app_passwords p JOIN users u ON u.id = p.user_id WHERE p.id = $1 AND p.revoked_at IS NULL AND u.disabled_at IS NULL',
      [id],
    );
    return rows.length > 0;
  }
}
