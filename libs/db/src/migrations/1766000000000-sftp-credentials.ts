import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What people sign in to the SFTP ingress with: public keys (one key identifies one person, so a
 * live fingerprint is unique across users) and app passwords (argon2id, shown once). Both are kept
 * after revocation, for the record, like API tokens.
 */
export class SftpCredentials1766000000000 implements MigrationInterface {
  name = 'SftpCredentials1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ssh_keys (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id),
        name text NOT NULL,
        algorithm text NOT NULL,
        public_key text NOT NULL,
        fingerprint text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      );
      CREATE UNIQUE INDEX ssh_keys_live_fingerprint_idx ON ssh_keys (fingerprint) WHERE revoked_at IS NULL;
      CREATE INDEX ssh_keys_user_idx ON ssh_keys (user_id) WHERE revoked_at IS NULL;
      CREATE TABLE app_passwords (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id),
        name text NOT NULL,
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      );
      CREATE INDEX app_passwords_user_idx ON app_passwords (user_id) WHERE revoked_at IS NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE app_passwords; DROP TABLE ssh_keys;`);
  }
}
