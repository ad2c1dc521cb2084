import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Versioned org-wide link policy, and the IdP groups that group overrides apply to. */
export class Policy1764100000000 implements MigrationInterface {
  name = 'Policy1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- The user's groups as the IdP last sent them (refreshed at each SSO sign-in), or as set by
      -- an administrator for a local user.
      ALTER TABLE users ADD COLUMN groups text[] NOT NULL DEFAULT '{}';
      -- Every version of the org policy; the newest is in force (none: the built-in defaults).
      CREATE TABLE policy_versions (
        version integer PRIMARY KEY CHECK (version > 0),
        document jsonb NOT NULL,
        source text NOT NULL CHECK (source IN ('api', 'file')),
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by text NOT NULL,
        diff jsonb NOT NULL DEFAULT '[]',
        retroactive boolean NOT NULL DEFAULT false
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE policy_versions; ALTER TABLE users DROP COLUMN groups;`);
  }
}
