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
  readonly createdAt: string;
  readonly expiresAt: string | null;
}

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

  /** Inserts the user unless one with that name exists; returns whether it was created. */
  async insertUser(user: User, source: string): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO users (id, username, email, display_name, roles, source) VALUES ($1, $2, $3, $4, $5::text[], $6)
       ON CONFLICT (username) DO NOTHING RETURNING id`,
      [user.id, user.username, user.email, user.displayName, user.roles, source],
    );
    return rows.length > 0;
  }

  async insertToken(t: { id: string; userId: string; name: string; tokenHash: string; expiresAt: Date | null }): Promise<ApiTokenRecord> {
    const [row] = await this.db.query<{ created_at: Date }>(
      `INSERT INTO api_tokens (id, user_id, name, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING created_at`,
      [t.id, t.userId, t.name, t.tokenHash, t.expiresAt],
    );
    return {
      id: t.id,
      name: t.name,
      createdAt: new Date(row!.created_at).toISOString(),
      expiresAt: t.expiresAt?.toISOString() ?? null,
    };
  }

  /** The user behind a live token (not revoked, not expired), recording its use at most once a minute. */
  async userByTokenHash(tokenHash: string): Promise<User | null> {
    const [row] = await this.db.query<UserRow & { token_id: string }>(
      `UPDATE api_tokens t SET last_used_at = now()
       FROM users u
       WHERE t.token_hash = $1 AND u.id = t.user_id AND u.disabled_at IS NULL AND t.revoked_at IS NULL
         AND (t.expires_at IS NULL OR t.expires_at > now())
         AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute')
       RETURNING u.id, u.username, u.email, u.display_name, u.roles, t.id AS token_id`,
      [tokenHash],
    );
    if (row) {
      return toUser(row);
    }
    const [fresh] = await this.db.query<UserRow>(
      `SELECT u.id, u.username, u.email, u.display_name, u.roles FROM api_tokens t JOIN users u ON u.id = t.user_id
       WHERE t.token_hash = $1 AND u.disabled_at IS NULL AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())`,
      [tokenHash],
    );
    return fresh ? toUser(fresh) : null;
  }
}
