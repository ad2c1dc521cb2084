import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';
import type { Role, User } from './user.js';

/** A registered public key as its owner sees it (never the key data itself). */
export interface SshKeyView {
  readonly id: string;
  readonly name: string;
  /** The key type: `ssh-ed25519`, `ecdsa-sha2-nistp256` (384, 521) or `ssh-rsa`. */
  readonly algorithm: string;
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

/** A live key of an enabled user, found for a sign-in: its owner and its stored blob. */
export interface SshKeyMatch {
  readonly user: User;
  readonly keyId: string;
  readonly algorithm: string;
  readonly fingerprint: string;
  /** The base64 of the wire-format key blob, as registered. */
  readonly publicKey: string;
}

interface KeyRow {
  id: string;
  name: string;
  algorithm: string;
  fingerprint: string;
  created_at: Date;
  last_used_at: Date | null;
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);
const toView = (r: KeyRow): SshKeyView => ({ id: r.id, name: r.name, algorithm: r.algorithm, fingerprint: r.fingerprint, createdAt: iso(r.created_at)!, lastUsedAt: iso(r.last_used_at) });

/** The `ssh_keys` table. A live fingerprint belongs to one user only (a partial unique index). */
@Injectable()
export class SshKeysRepository {
  constructor(private readonly db: Database) {}

  /**
   * Locks the user's row for the rest of the transaction, so that two additions at once cannot
   * both pass the per-user limit; answers how many live keys the user has.
   */
  async lockAndCount(userId: string): Promise<number> {
    await this.db.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [userId]);
    const [row] = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM ssh_keys WHERE user_id = $1 AND revoked_at IS NULL', [userId]);
    return row?.n ?? 0;
  }

  /** Inserts the key unless its fingerprint is live already (anyone's): null then. */
  async insert(k: { id: string; userId: string; name: string; algorithm: string; publicKey: string; fingerprint: string }): Promise<SshKeyView | null> {
    const [row] = await this.db.query<KeyRow>(
      `INSERT INTO ssh_keys (id, user_id, name, algorithm, public_key, fingerprint) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (fingerprint) WHERE revoked_at IS NULL DO NOTHING
       RETURNING id, name, algorithm, fingerprint, created_at, last_used_at`,
      [k.id, k.userId, k.name, k.algorithm, k.publicKey, k.fingerprint],
    );
    return row ? toView(row) : null;
  }

  /** The user's live keys, newest first. */
  async list(userId: string): Promise<SshKeyView[]> {
    const rows = await this.db.query<KeyRow>(
      `SELECT id, name, algorithm, fingerprint, created_at, last_used_at FROM ssh_keys WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id DESC`,
      [userId],
    );
    return rows.map(toView);
  }

  /** Revokes one of the user's live keys; answers it, or null when the user has no such live key. */
  async revoke(userId: string, keyId: string): Promise<SshKeyView | null> {
    const [row] = await this.db.query<KeyRow>(
      `UPDATE ssh_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL
       RETURNING id, name, algorithm, fingerprint, created_at, last_used_at`,
      [keyId, userId],
    );
    return row ? toView(row) : null;
  }

  /** Revokes every live key of the user (a disabled user's keys stay revoked when they are enabled again); answers how many. */
  async revokeAllOf(userId: string): Promise<number> {
    const rows = await this.db.query('UPDATE ssh_keys SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id', [userId]);
    return rows.length;
  }

  /** The live key with this fingerprint of the enabled user with this name, or null. */
  async findLive(username: string, fingerprint: string): Promise<SshKeyMatch | null> {
    const [row] = await this.db.query<{ id: string; username: string; email: string | null; display_name: string | null; roles: Role[]; key_id: string; algorithm: string; fingerprint: string; public_key: string }>(
      `SELECT u.id, u.username, u.email, u.display_name, u.roles, k.id AS key_id, k.algorithm, k.fingerprint, k.public_key
       FROM ssh_keys k JOIN users u ON u.id = k.user_id
       WHERE u.username = $1 AND u.disabled_at IS NULL AND k.fingerprint = $2 AND k.revoked_at IS NULL`,
      [username, fingerprint],
    );
    if (!row) {
      return null;
    }
    return {
      user: { id: row.id, username: row.username, email: row.email, displayName: row.display_name, roles: row.roles },
      keyId: row.key_id,
      algorithm: row.algorithm,
      fingerprint: row.fingerprint,
      publicKey: row.public_key,
    };
  }

  async markUsed(keyId: string): Promise<void> {
    await this.db.query('UPDATE ssh_keys SET last_used_at = now() WHERE id = $1', [keyId]);
  }

  /** Whether the key is live and its user enabled. */
  async isLive(keyId: string): Promise<boolean> {
    const rows = await this.db.query(
      'SELECT 1 FROM ssh_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $1 AND k.revoked_at IS NULL AND u.disabled_at IS NULL',
      [keyId],
    );
    return rows.length > 0;
  }
}
