import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Moving a recipient session to a new id (at unlock and email verification) finds its rows by index. */
export class SessionRotation1765300000000 implements MigrationInterface {
  name = 'SessionRotation1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX grants_claim_session_idx ON grants (claim_session) WHERE claim_session IS NOT NULL;
      CREATE INDEX email_challenges_session_idx ON email_challenges (session_hash);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX grants_claim_session_idx; DROP INDEX email_challenges_session_idx;`);
  }
}
