import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The staff app pages through links newest first with a keyset on (created_at, id): an owner's
 * links (employees) and everyone's (admins) are each read from an index in that order.
 */
export class LinkListOrder1765910000000 implements MigrationInterface {
  name = 'LinkListOrder1765910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX links_owner_idx;
      CREATE INDEX links_owner_idx ON links (owner_id, created_at DESC, id DESC);
      CREATE INDEX links_created_idx ON links (created_at DESC, id DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX links_created_idx;
      DROP INDEX links_owner_idx;
      CREATE INDEX links_owner_idx ON links (owner_id, created_at DESC);
    `);
  }
}
