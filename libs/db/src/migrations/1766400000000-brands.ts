import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Brands: how the gateway presents itself. One row is the default (the one /api/v1/branding
 * edits); further brands carry the host names they are served on and the IdP groups whose
 * members' links they dress, matched in `position` order. No row: the built-in default brand.
 * `version` comes from one sequence, so that `max(version)` and `count(*)` tell every replica
 * whether anything changed since it last read the table.
 */
export class Brands1766400000000 implements MigrationInterface {
  name = 'Brands1766400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE SEQUENCE brand_versions;
      CREATE TABLE brands (
        id uuid PRIMARY KEY,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        primary_color text NOT NULL CHECK (primary_color ~ '^#[0-9a-f]{6}$'),
        accent_color text NOT NULL CHECK (accent_color ~ '^#[0-9a-f]{6}$'),
        support_email text,
        footer text CHECK (length(footer) <= 500),
        public_url text,
        domains text[] NOT NULL DEFAULT '{}',
        groups text[] NOT NULL DEFAULT '{}',
        position integer NOT NULL DEFAULT 0,
        is_default boolean NOT NULL DEFAULT false,
        logo bytea,
        logo_type text CHECK (logo_type IN ('image/png', 'image/svg+xml')),
        logo_hash text,
        favicon bytea,
        version bigint NOT NULL DEFAULT nextval('brand_versions'),
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by text NOT NULL,
        CHECK ((logo IS NULL) = (logo_type IS NULL) AND (logo IS NULL) = (logo_hash IS NULL))
      );
      CREATE UNIQUE INDEX brands_one_default ON brands (is_default) WHERE is_default;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE brands; DROP SEQUENCE brand_versions;`);
  }
}
