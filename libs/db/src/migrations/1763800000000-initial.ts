import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1763800000000 implements MigrationInterface {
  name = 'Initial1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        username text NOT NULL UNIQUE,
        email text,
        display_name text,
        roles text[] NOT NULL DEFAULT '{}',
        source text NOT NULL DEFAULT 'local',
        created_at timestamptz NOT NULL DEFAULT now(),
        disabled_at timestamptz
      );
      CREATE TABLE api_tokens (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id),
        name text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz
      );
      CREATE TABLE links (
        id uuid PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('send', 'share')),
        owner_id uuid NOT NULL REFERENCES users(id),
        storage_connection text NOT NULL,
        one_time boolean NOT NULL,
        max_downloads integer CHECK (max_downloads IS NULL OR max_downloads > 0),
        expires_at timestamptz,
        password_hash text,
        require_email_verification boolean NOT NULL DEFAULT false,
        message text,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        ended_at timestamptz,
        ended_reason text CHECK (ended_reason IN ('revoked', 'expired', 'consumed')),
        purged_at timestamptz
      );
      CREATE INDEX links_owner_idx ON links (owner_id, created_at DESC);
      CREATE INDEX links_live_idx ON links (expires_at) WHERE ended_at IS NULL;
      CREATE INDEX links_purge_idx ON links (ended_at) WHERE purged_at IS NULL;
      CREATE TABLE link_files (
        id uuid PRIMARY KEY,
        link_id uuid NOT NULL REFERENCES links(id),
        position integer NOT NULL,
        name text NOT NULL,
        size bigint NOT NULL CHECK (size >= 0),
        sha256 text NOT NULL,
        content_type text NOT NULL,
        storage_key text NOT NULL,
        purged_at timestamptz,
        UNIQUE (link_id, position)
      );
      CREATE TABLE grants (
        id uuid PRIMARY KEY,
        link_id uuid NOT NULL REFERENCES links(id),
        token_hash text NOT NULL UNIQUE,
        recipient text,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'consumed', 'revoked', 'expired')),
        downloads integer NOT NULL DEFAULT 0,
        claim_id uuid,
        claim_session text,
        claimed_at timestamptz,
        claim_seen_at timestamptz,
        opened_at timestamptz,
        downloaded_at timestamptz,
        ended_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX grants_link_idx ON grants (link_id);
      CREATE INDEX grants_claim_idx ON grants (claim_seen_at) WHERE claim_id IS NOT NULL;
      -- What one download cycle (a claim, or an unlimited session's pass) has delivered of each file.
      CREATE TABLE grant_deliveries (
        cycle_id uuid NOT NULL,
        grant_id uuid NOT NULL REFERENCES grants(id),
        file_id uuid NOT NULL REFERENCES link_files(id),
        delivered int8multirange NOT NULL DEFAULT '{}',
        PRIMARY KEY (cycle_id, file_id)
      );
      CREATE INDEX grant_deliveries_grant_idx ON grant_deliveries (grant_id);
      -- Bytes being written by an upload that has not finished: found and removed if the writer dies.
      CREATE TABLE pending_uploads (
        id uuid PRIMARY KEY,
        storage_connection text NOT NULL,
        storage_key text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        seen_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE recipient_sessions (
        id_hash text PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        seen_at timestamptz NOT NULL DEFAULT now(),
        unlocked_grants uuid[] NOT NULL DEFAULT '{}'
      );
      CREATE TABLE rate_limits (
        key text PRIMARY KEY,
        window_start timestamptz NOT NULL,
        hits integer NOT NULL
      );
      CREATE TABLE audit_events (
        seq bigint PRIMARY KEY,
        id uuid NOT NULL UNIQUE,
        at timestamptz NOT NULL,
        type text NOT NULL,
        outcome text NOT NULL,
        actor text,
        link_id uuid,
        grant_id uuid,
        file_id uuid,
        bytes bigint,
        ip text,
        user_agent text,
        details jsonb NOT NULL DEFAULT '{}',
        prev_hash text NOT NULL,
        hash text NOT NULL
      );
      CREATE INDEX audit_events_at_idx ON audit_events (at);
      CREATE INDEX audit_events_link_idx ON audit_events (link_id, seq);
      CREATE INDEX audit_events_type_idx ON audit_events (type, seq);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE audit_events; DROP TABLE rate_limits; DROP TABLE recipient_sessions;
      DROP TABLE pending_uploads; DROP TABLE grant_deliveries; DROP TABLE grants;
      DROP TABLE link_files; DROP TABLE links; DROP TABLE api_tokens; DROP TABLE users;
    `);
  }
}
