import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from '@mft/db';
import { seedEmbeddedDatabase } from './embedded-template.js';
import { createTestDatabase, onPostgres } from './gateway-process.js';

/**
 * A migrated database for one integration test file: a fresh database on the PostgreSQL server when
 * DATABASE_URL is set, else an embedded PGlite database in a temporary folder.
 */
export async function openTestDatabase(): Promise<{ db: Database; kind: string; close: () => Promise<void> }> {
  const { Database } = await import('@mft/db');
  if (onPostgres()) {
    const created = await createTestDatabase();
    const db = await Database.open({ url: created.url, dataDir: tmpdir(), poolSize: 20 });
    return { db, kind: 'postgres', close: async () => { await db.close(); await created.drop(); } };
  }
  const dir = mkdtempSync(join(tmpdir(), 'mft-db-'));
  await seedEmbeddedDatabase(dir);
  const db = await Database.open({ url: null, dataDir: dir });
  return { db, kind: 'pglite', close: async () => { await db.close(); rmSync(dir, { recursive: true, force: true }); } };
}
