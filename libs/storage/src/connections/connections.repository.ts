import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';
import type { ConnectionKind } from './connection-settings.js';

/** A `storage_connections` row as stored; `settings` is JSON as saved, `sealed` the encrypted secrets. */
export interface ConnectionRow {
  readonly id: string;
  readonly name: string;
  readonly kind: ConnectionKind;
  readonly settings: Record<string, unknown>;
  readonly sealed: Buffer | null;
  readonly keyId: string | null;
  readonly status: 'ok' | 'failing';
  readonly statusMessage: string | null;
  readonly checkedAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly revision: number;
  readonly createdBy: string;
}

/** A data key of the secret keyring, wrapped under the key derived from SECRET_KEY. */
export interface SecretKeyRow {
  readonly id: string;
  readonly wrapped: Buffer;
}

/** What still needs a connection: links not ended, send copies not yet purged, uploads in progress. */
export interface ConnectionReferences {
  readonly liveLinks: number;
  readonly unpurgedCopies: number;
  readonly pendingUploads: number;
}

interface Row {
  id: string;
  name: string;
  kind: ConnectionKind;
  settings: Record<string, unknown>;
  secrets_sealed: Uint8Array | null;
  secrets_key_id: string | null;
  status: 'ok' | 'failing';
  status_message: string | null;
  checked_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
  revision: number | string;
  created_by: string;
}

const toBuffer = (v: Uint8Array): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));

const toRow = (r: Row): ConnectionRow => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  settings: r.settings,
  sealed: r.secrets_sealed ? toBuffer(r.secrets_sealed) : null,
  keyId: r.secrets_key_id,
  status: r.status,
  statusMessage: r.status_message,
  checkedAt: r.checked_at ? new Date(r.checked_at) : null,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
  revision: Number(r.revision),
  createdBy: r.created_by,
});

const COLUMNS = `id, name, kind, settings, secrets_sealed, secrets_key_id, status, status_message, checked_at, created_at, updated_at, revision, created_by`;

/** Every SQL statement about storage connections, the secret keyring and runtime settings. */
@Injectable()
export class ConnectionsRepository {
  constructor(private readonly db: Database) {}

  async find(id: string): Promise<ConnectionRow | null> {
    const [row] = await this.db.query<Row>(`SELECT ${COLUMNS} FROM storage_connections WHERE id = $1`, [id]);
    return row ? toRow(row) : null;
  }

  /** The revision of a connection, or null when there is none: the cheap check behind the driver cache. */
  async revision(id: string): Promise<number | null> {
    const [row] = await this.db.query<{ revision: number | string }>(`SELECT revision FROM storage_connections WHERE id = $1`, [id]);
    return row ? Number(row.revision) : null;
  }

  async list(): Promise<ConnectionRow[]> {
    const rows = await this.db.query<Row>(`SELECT ${COLUMNS} FROM storage_connections ORDER BY created_at, id`);
    return rows.map(toRow);
  }

  async nameTaken(name: string, exceptId: string | null): Promise<boolean> {
    const [row] = await this.db.query(`SELECT 1 FROM storage_connections WHERE lower(name) = lower($1) AND ($2::text IS NULL OR id <> $2)`, [name, exceptId]);
    return row !== undefined;
  }

  /** Inserts a connection; false when its name is taken (the unique index decides, under concurrency too). */
  async insert(c: { id: string; name: string; kind: ConnectionKind; settings: Record<string, unknown>; sealed: Buffer | null; keyId: string | null; createdBy: string }): Promise<ConnectionRow | null> {
    const [row] = await this.db.query<Row>(
      `INSERT INTO storage_connections (id, name, kind, settings, secrets_sealed, secrets_key_id, status, checked_at, created_by)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, 'ok', now(), $7)
       ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
      [c.id, c.name, c.kind, JSON.stringify(c.settings), c.sealed, c.keyId, c.createdBy],
    );
    return row ? toRow(row) : null;
  }

  /** Replaces name, settings and (when `secrets` is given) the sealed secrets; bumps the revision. */
  async update(id: string, c: { name: string; settings: Record<string, unknown>; secrets: { sealed: Buffer | null; keyId: string | null } | null }): Promise<ConnectionRow | null> {
    const [row] = await this.db.query<Row>(
      `UPDATE storage_connections
          SET name = $2, settings = $3::jsonb,
              secrets_sealed = CASE WHEN $4 THEN $5::bytea ELSE secrets_sealed END,
              secrets_key_id = CASE WHEN $4 THEN $6::text ELSE secrets_key_id END,
              status = 'ok', status_message = NULL, checked_at = now(),
              updated_at = clock_timestamp(), revision = revision + 1
        WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, c.name, JSON.stringify(c.settings), c.secrets !== null, c.secrets?.sealed ?? null, c.secrets?.keyId ?? null],
    );
    return row ? toRow(row) : null;
  }

  /** Records the outcome of a test; not a change of the connection (the revision stays). */
  async setStatus(id: string, status: 'ok' | 'failing', message: string | null): Promise<void> {
    await this.db.query(`UPDATE storage_connections SET status = $2, status_message = $3, checked_at = now() WHERE id = $1`, [id, status, message]);
  }

  async delete(id: string): Promise<boolean> {
    const rows = await this.db.query(`DELETE FROM storage_connections WHERE id = $1 RETURNING id`, [id]);
    return rows.length > 0;
  }

  /** Locks the connection row until the end of the transaction (delete and send-storage changes). */
  async lock(id: string): Promise<boolean> {
    const rows = await this.db.query(`SELECT id FROM storage_connections WHERE id = $1 FOR UPDATE`, [id]);
    return rows.length > 0;
  }

  async references(id: string): Promise<ConnectionReferences> {
    const [row] = await this.db.query<{ live: string | number; unpurged: string | number; pending: string | number }>(
      `SELECT (SELECT count(*) FROM links WHERE storage_connection = $1 AND ended_at IS NULL) AS live,
              (SELECT count(*) FROM links WHERE storage_connection = $1 AND ended_at IS NOT NULL AND kind = 'send' AND purged_at IS NULL) AS unpurged,
              (SELECT count(*) FROM pending_uploads WHERE storage_connection = $1) AS pending`,
      [id],
    );
    return { liveLinks: Number(row?.live ?? 0), unpurgedCopies: Number(row?.unpurged ?? 0), pendingUploads: Number(row?.pending ?? 0) };
  }

  // The secret keyring.

  /** The newest data key, the one new secrets are sealed under. */
  async currentKey(): Promise<SecretKeyRow | null> {
    const [row] = await this.db.query<{ id: string; wrapped: Uint8Array }>(`SELECT id, wrapped FROM secret_keys ORDER BY created_at DESC, id DESC LIMIT 1`);
    return row ? { id: row.id, wrapped: toBuffer(row.wrapped) } : null;
  }

  async key(id: string): Promise<SecretKeyRow | null> {
    const [row] = await this.db.query<{ id: string; wrapped: Uint8Array }>(`SELECT id, wrapped FROM secret_keys WHERE id = $1`, [id]);
    return row ? { id: row.id, wrapped: toBuffer(row.wrapped) } : null;
  }

  async keyIds(): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(`SELECT id FROM secret_keys ORDER BY created_at, id`);
    return rows.map((r) => r.id);
  }

  async insertKey(key: SecretKeyRow): Promise<void> {
    await this.db.query(`INSERT INTO secret_keys (id, wrapped) VALUES ($1, $2)`, [key.id, key.wrapped]);
  }

  /** Holds off every other sealing until the end of the transaction (a rotation in progress). */
  async lockKeyring(): Promise<void> {
    await this.db.query(`LOCK TABLE secret_keys IN EXCLUSIVE MODE`);
  }

  /** Marks the key a new secret is about to be sealed under as in use, so a rotation waits for it. */
  async shareKey(id: string): Promise<boolean> {
    const rows = await this.db.query(`SELECT id FROM secret_keys WHERE id = $1 FOR SHARE`, [id]);
    return rows.length > 0;
  }

  /** Every connection holding secrets, locked for re-sealing. */
  async sealedForUpdate(): Promise<Array<{ id: string; sealed: Buffer; keyId: string }>> {
    const rows = await this.db.query<{ id: string; secrets_sealed: Uint8Array; secrets_key_id: string }>(
      `SELECT id, secrets_sealed, secrets_key_id FROM storage_connections WHERE secrets_sealed IS NOT NULL ORDER BY id FOR UPDATE`,
    );
    return rows.map((r) => ({ id: r.id, sealed: toBuffer(r.secrets_sealed), keyId: r.secrets_key_id }));
  }

  async reseal(id: string, sealed: Buffer, keyId: string): Promise<void> {
    await this.db.query(`UPDATE storage_connections SET secrets_sealed = $2, secrets_key_id = $3 WHERE id = $1`, [id, sealed, keyId]);
  }

  async deleteKeysExcept(id: string): Promise<number> {
    const rows = await this.db.query(`DELETE FROM secret_keys WHERE id <> $1 RETURNING id`, [id]);
    return rows.length;
  }

  // Runtime settings.

  async setting<T>(key: string): Promise<{ value: T; updatedAt: Date; updatedBy: string } | null> {
    const [row] = await this.db.query<{ value: T; updated_at: Date | string; updated_by: string }>(`SELECT value, updated_at, updated_by FROM settings WHERE key = $1`, [key]);
    return row ? { value: row.value, updatedAt: new Date(row.updated_at), updatedBy: row.updated_by } : null;
  }

  async putSetting(key: string, value: unknown, by: string): Promise<{ updatedAt: Date }> {
    const [row] = await this.db.query<{ updated_at: Date | string }>(
      `INSERT INTO settings (key, value, updated_by) VALUES ($1, $2::jsonb, $3)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now(), updated_by = EXCLUDED.updated_by
       RETURNING updated_at`,
      [key, JSON.stringify(value), by],
    );
    return { updatedAt: new Date(row!.updated_at) };
  }
}
