import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Identity1763900000000 implements MigrationInterface {
  name = 'Identity1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE users
        ADD COLUMN password_hash text,
        ADD COLUMN totp_secret text,
        ADD COLUMN totp_last_step bigint,
        ADD COLUMN failed_logins integer NOT NULL DEFAULT 0,
        ADD COLUMN locked_until timestamptz,
        ADD COLUMN idp text,
        ADD COLUMN subject text,
        ADD COLUMN last_login_at timestamptz;
      CREATE UNIQUE INDEX users_idp_subject_idx ON users (idp, subject) WHERE idp IS NOT NULL;
      ALTER TABLE api_tokens ADD COLUMN scopes text[] NOT NULL DEFAULT '{links:read,links:write,audit:read,admin}';
      CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);
      CREATE TABLE recovery_codes (
        user_id uuid NOT NULL REFERENCES users(id),
        code_hash text NOT NULL,
        used_at timestamptz,
        PRIMARY KEY (user_id, code_hash)
      );
      -- Browser sessions: server-side, so that any replica can check and revoke them.
      CREATE TABLE user_sessions (
        id_hash text PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id),
        method text NOT NULL,
        stage text NOT NULL DEFAULT 'full' CHECK (stage IN ('full', 'totp', 'totp_enroll')),
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        ip text,
        user_agent text
      );
      CREATE INDEX user_sessions_user_idx ON user_sessions (user_id) WHERE revoked_at IS NULL;
      -- One SSO round trip in progress (OIDC state, nonce and PKCE verifier), bound to a browser cookie.
      CREATE TABLE login_flows (
        id_hash text PRIMARY KEY,
        kind text NOT NULL,
        provider text NOT NULL,
        state text,
        nonce text,
        code_verifier text,
        return_to text,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      );
      -- SAML request ids (InResponseTo) and consumed assertion ids, shared by every replica.
      CREATE TABLE saml_cache (
        key text PRIMARY KEY,
        value text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE saml_cache; DROP TABLE login_flows; DROP TABLE user_sessions; DROP TABLE recovery_codes;
      DROP INDEX api_tokens_user_idx; ALTER TABLE api_tokens DROP COLUMN scopes; DROP INDEX users_idp_subject_idx;
      ALTER TABLE users DROP COLUMN password_hash, DROP COLUMN totp_secret, DROP COLUMN totp_last_step,
        DROP COLUMN failed_logins, DROP COLUMN locked_until, DROP COLUMN idp, DROP COLUMN subject, DROP COLUMN last_login_at;
    `);
  }
}
