import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Storage connections (local folders, S3 buckets, remote SFTP servers), the keys that seal their
 * secrets, and the runtime settings (which connection holds send-link copies). The built-in local
 * folder under the data directory is the connection `default`; it has no `root` of its own.
 */
export class StorageConnections1765400000000 implements MigrationInterface {
  name = 'StorageConnections1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- Data keys for sealed secrets, each wrapped (AES-256-GCM) under a key derived from SECRET_KEY.
      CREATE TABLE secret_keys (
        id text PRIMARY KEY,
        wrapped bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      CREATE TABLE storage_connections (
        id text PRIMARY KEY CHECK (id ~ '^[a-z0-9-]{1,64}$'),
        name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('local', 's3', 'sftp')),
        settings jsonb NOT NULL DEFAULT '{}',
        secrets_sealed bytea,
        secrets_key_id text REFERENCES secret_keys(id) ON DELETE RESTRICT,
        status text NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'failing')),
        status_message text,
        checked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        -- Bumped by every change: replicas compare it to rebuild a cached driver.
        revision integer NOT NULL DEFAULT 1,
        created_by text NOT NULL,
        CHECK ((secrets_sealed IS NULL) = (secrets_key_id IS NULL))
      );
      CREATE UNIQUE INDEX storage_connections_name_idx ON storage_connections (lower(name));
      CREATE INDEX storage_connections_key_idx ON storage_connections (secrets_key_id) WHERE secrets_key_id IS NOT NULL;
      INSERT INTO storage_connections (id, name, kind, settings, created_by) VALUES ('default', 'Local files', 'local', '{"shareRoots": []}', 'system');
      -- Runtime settings edited through the API (send storage), one JSON value per key.
      CREATE TABLE settings (
        key text PRIMARY KEY,
        value jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by text NOT NULL
      );
      CREATE INDEX links_storage_connection_idx ON links (storage_connection);
      -- What the driver needs to discard the bytes of a write that never committed (opaque to callers).
      ALTER TABLE pending_uploads ADD COLUMN staging_ref text;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE pending_uploads DROP COLUMN staging_ref;
      DROP INDEX links_storage_connection_idx;
      DROP TABLE settings; DROP TABLE storage_connections; DROP TABLE secret_keys;
    `);
  }
}
