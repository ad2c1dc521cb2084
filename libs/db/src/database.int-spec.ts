import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Database, DatabaseLockedError } from './database.js';
import { migrations as allMigrations } from './migrations/index.js';
import { RateLimiter } from './rate-limiter.js';
import { createTestDatabase, onPostgres, openTestDatabase } from '@mft/testing';

describe(`${Database.name} (embedded PGlite)`, () => {
  it('keeps the data when opened a second time on the same folder, and runs no migration twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mft-db-'));
    try {
      const first = await Database.open({ url: null, dataDir: dir });
      await first.query(`INSERT INTO users (id, username) VALUES (gen_random_uuid(), 'kept')`);
      await first.close();
      const second = await Database.open({ url: null, dataDir: dir });
      const rows = await second.query<{ username: string }>(`SELECT username FROM users`);
      assert.deepEqual(rows.map((r) => r.username), ['kept']);
      const migrations = await second.query<{ n: number }>(`SELECT count(*)::int AS n FROM schema_migrations`);
      assert.equal(migrations[0]!.n, allMigrations.length);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a second opener of the same embedded database while the first is alive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mft-db-'));
    const first = await Database.open({ url: null, dataDir: dir });
    try {
      // The lock names a live process: simulate another one by writing our parent's pid.
      const { writeFileSync } = await import('node:fs');
      writeFileSync(join(dir, 'db.lock'), String(process.ppid));
      await assert.rejects(Database.open({ url: null, dataDir: dir }), DatabaseLockedError);
    } finally {
      await first.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serialises transactions on the single embedded connection: concurrent increments all count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mft-db-'));
    const db = await Database.open({ url: null, dataDir: dir });
    try {
      await db.query(`INSERT INTO rate_limits (key, window_start, hits) VALUES ('c', now(), 0)`);
      await Promise.all(
        Array.from({ length: 30 }, () =>
          db.transaction(async (tx) => {
            const [row] = await tx.query<{ hits: number }>(`SELECT hits FROM rate_limits WHERE key = 'c'`);
            await new Promise((r) => setTimeout(r, 1));
            await tx.query(`UPDATE rate_limits SET hits = $1 WHERE key = 'c'`, [row!.hits + 1]);
          }),
        ),
      );
      const [row] = await db.query<{ hits: number }>(`SELECT hits FROM rate_limits WHERE key = 'c'`);
      assert.equal(row!.hits, 30);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe(`${Database.name} on an empty database`, () => {
  // Test databases are copies of one migrated template: this one starts from nothing, as a first start does.
  it('runs every migration once on an empty database (PostgreSQL with DATABASE_URL, else PGlite)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mft-db-'));
    const created = onPostgres() ? await createTestDatabase({ empty: true }) : null;
    try {
      const db = await Database.open({ url: created?.url ?? null, dataDir: dir });
      try {
        assert.equal(db.kind, onPostgres() ? 'postgres' : 'pglite');
        const migrations = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM schema_migrations`);
        assert.equal(migrations[0]!.n, allMigrations.length);
        const users = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users`);
        assert.equal(users[0]!.n, 0, 'the migrations create no user');
      } finally {
        await db.close();
      }
    } finally {
      await created?.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe(RateLimiter.name, () => {
  it('allows max hits per window, then refuses with the seconds to wait', async () => {
    const { db, close } = await openTestDatabase();
    try {
      const sut = new RateLimiter(db);
      const decisions = await Promise.all(Array.from({ length: 5 }, () => sut.hit('k', 3, 60)));
      assert.equal(decisions.filter((d) => d.allowed).length, 3);
      const refused = decisions.find((d) => !d.allowed)!;
      assert.ok(refused.retryAfterSeconds > 0 && refused.retryAfterSeconds <= 60);
      await db.query(`UPDATE rate_limits SET window_start = now() - interval '2 minutes' WHERE key = 'k'`);
      assert.equal((await sut.hit('k', 3, 60)).allowed, true, 'a new window starts afresh');
    } finally {
      await close();
    }
  });
});
