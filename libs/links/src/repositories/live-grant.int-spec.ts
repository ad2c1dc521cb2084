import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Database } from '@mft/db';
import { openTestDatabase } from '@mft/testing';
import { GrantRules, LinkRules, type GrantStatus, type LinkEndReason } from '../link.js';
import { GrantRepository } from './grant.repository.js';
import { LinkRepository, liveGrantSql, liveLinkSql } from './link.repository.js';

const NOW = new Date('2031-06-01T12:00:00.000Z');
const at = (ms: number | null): Date | null => (ms === null ? null : new Date(NOW.getTime() + ms));
const HOUR = 3_600_000;

/** Any combination of the columns the rules read, consistent or not: the SQL and the model must agree on all of them. */
const stateArb = fc.record({
  oneTime: fc.boolean(),
  maxDownloads: fc.constantFrom(null, 1, 2, 3),
  expiresAt: fc.constantFrom(null, -24 * HOUR, -1, 0, 1, 24 * HOUR),
  revokedAt: fc.constantFrom(null, -HOUR),
  endedAt: fc.constantFrom(null, -HOUR),
  endedReason: fc.constantFrom<LinkEndReason | null>(null, 'revoked', 'expired', 'consumed'),
  purgedAt: fc.constantFrom(null, -HOUR),
  status: fc.constantFrom<GrantStatus>('active', 'consumed', 'revoked', 'expired'),
  downloads: fc.integer({ min: 0, max: 4 }),
});
type State = typeof stateArb extends fc.Arbitrary<infer T> ? T : never;

describe('liveGrantSql and liveLinkSql agree with GrantRules and LinkRules', () => {
  let db: Database;
  let close: () => Promise<void>;
  let links: LinkRepository;
  let grants: GrantRepository;
  let ownerId: string;

  before(async () => {
    ({ db, close } = await openTestDatabase());
    links = new LinkRepository(db);
    grants = new GrantRepository(db);
    ownerId = randomUUID();
    await db.query(`INSERT INTO users (id, username, roles) VALUES ($1, $2, '{employee}')`, [ownerId, `u-${ownerId}`]);
  });
  after(async () => close());

  async function insert(s: State): Promise<{ linkId: string; grantId: string }> {
    const linkId = randomUUID();
    const grantId = randomUUID();
    await db.query(
      `INSERT INTO links (id, kind, owner_id, storage_connection, one_time, max_downloads, expires_at, revoked_at, ended_at, ended_reason, purged_at)
       VALUES ($1, 'send', $2, 'default', $3, $4, $5, $6, $7, $8, $9)`,
      [linkId, ownerId, s.oneTime, s.maxDownloads, at(s.expiresAt), at(s.revokedAt), at(s.endedAt), s.endedReason, at(s.purgedAt)],
    );
    await db.query(`INSERT INTO grants (id, link_id, token_hash, status, downloads) VALUES ($1, $2, $3, $4, $5)`, [grantId, linkId, randomUUID(), s.status, s.downloads]);
    return { linkId, grantId };
  }

  it('row by row, over every combination of link and grant state, at an instant given as a parameter', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stateArb, { minLength: 1, maxLength: 25 }), async (states) => {
        const rows = await Promise.all(states.map((s) => insert(s)));
        const sql = await db.query<{ id: string; live_grant: boolean; live_link: boolean }>(
          `SELECT g.id, ${liveGrantSql({ grant: 'g', link: 'l', now: '$1' })} AS live_grant, ${liveLinkSql({ link: 'l', now: '$1' })} AS live_link
           FROM grants g JOIN links l ON l.id = g.link_id WHERE g.id = ANY($2::uuid[])`,
          [NOW, rows.map((r) => r.grantId)],
        );
        const bySql = new Map(sql.map((r) => [r.id, r]));
        for (const [i, { linkId, grantId }] of rows.entries()) {
          // The model reads the records as the repositories map them.
          const [link, grant] = [await links.findLink(linkId), await grants.findGrant(grantId)];
          assert.ok(link && grant);
          const row = bySql.get(grantId);
          assert.ok(row, 'every grant is read back');
          const state = JSON.stringify(states[i]);
          assert.equal(row.live_grant, new GrantRules(link, grant).usable(NOW), `grant ${state}`);
          assert.equal(row.live_link, new LinkRules(link).usable(NOW), `link ${state}`);
        }
      }),
      { numRuns: 12 },
    );
  });

  it('the queries that use the predicate at the database clock agree with the model: a grant at its limit, an expiry just passed', async () => {
    const cases: Array<{ state: Partial<State>; live: boolean }> = [
      { state: {}, live: true },
      { state: { oneTime: true, downloads: 1 }, live: false },
      { state: { maxDownloads: 3, downloads: 2 }, live: true },
      { state: { expiresAt: -1 }, live: false },
      { state: { endedReason: 'consumed', endedAt: -HOUR }, live: false },
    ];
    for (const c of cases) {
      const s: State = { oneTime: false, maxDownloads: null, expiresAt: 24 * HOUR, revokedAt: null, endedAt: null, endedReason: null, purgedAt: null, status: 'active', downloads: 0, ...c.state };
      // Relative to the database's clock this time, since the repository's queries use now().
      const shifted = { ...s, expiresAt: s.expiresAt === null ? null : s.expiresAt + (Date.now() - NOW.getTime()) };
      const { grantId } = await insert(shifted);
      assert.equal(await grants.grantLive(grantId), c.live, JSON.stringify(c.state));
      assert.equal((await grants.claim(grantId, 'session', randomUUID(), 900)) !== null, c.live, `claim ${JSON.stringify(c.state)}`);
    }
  });

  it('takes only aliases and placeholders, never values', () => {
    assert.throws(() => liveGrantSql({ grant: 'g; DROP TABLE grants; --', link: 'l', now: 'now()' }), /not an SQL alias/);
    assert.throws(() => liveLinkSql({ link: 'l', now: `'2031-06-01' OR true` }), /not now\(\) or a parameter placeholder/);
    assert.throws(() => liveLinkSql({ link: 'l', now: '$0' }));
    assert.match(liveLinkSql({ link: 'l', now: '$3' }), /l\.expires_at > \$3::timestamptz/);
  });
});
