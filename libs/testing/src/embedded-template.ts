import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '@mft/config';

/**
 * Creating an embedded PGlite database runs initdb in WebAssembly and then every migration: about
 * five seconds of CPU, paid by every test gateway and every integration test on PGlite. Tests
 * instead start from a copy of one database created and migrated from nothing, once per set of
 * migrations and PGlite version (the copy opens in a fraction of a second). What the copy holds is
 * exactly what a fresh start would create: the migrations insert nothing random. The fresh path
 * keeps its own tests (`libs/db/src/database.int-spec.ts` opens empty folders), and
 * `TEST_FRESH_DATABASES=1` makes every test create its database from nothing.
 */
export async function seedEmbeddedDatabase(dataDir: string): Promise<void> {
  if (process.env.TEST_FRESH_DATABASES === '1') {
    return;
  }
  const template = await embeddedTemplate();
  cpSync(template, join(dataDir, 'db'), { recursive: true });
}

let ready: Promise<string> | null = null;

function embeddedTemplate(): Promise<string> {
  ready ??= build().catch((err: unknown) => {
    ready = null;
    throw err;
  });
  return ready;
}

async function build(): Promise<string> {
  const path = join(tmpdir(), `mft-pglite-template-${templateKey()}`);
  if (existsSync(path)) {
    return path;
  }
  // Test files run in parallel processes: each builds in a folder of its own, the first rename wins.
  const work = mkdtempSync(join(tmpdir(), 'mft-pglite-build-'));
  try {
    // Loaded here: @mft/db (TypeORM) takes a second to load, and most test processes copy a template.
    const { Database } = await import('@mft/db');
    const db = await Database.open({ url: null, dataDir: work });
    await db.close();
    try {
      renameSync(join(work, 'db'), path);
    } catch (err) {
      if (!existsSync(path)) {
        throw err;
      }
    }
    return path;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Changes with every compiled migration and with the PGlite release. */
function templateKey(): string {
  const pglite = JSON.parse(readFileSync(join(projectRoot(), 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8')) as { version: string };
  return createHash('sha256').update(migrationsKey()).update(pglite.version).digest('hex').slice(0, 16);
}

/** Changes with every compiled migration: names the migrated template databases. */
export function migrationsKey(): string {
  const hash = createHash('sha256');
  const migrations = join(projectRoot(), 'dist', 'libs', 'db', 'src', 'migrations');
  for (const name of readdirSync(migrations).filter((n) => n.endsWith('.js')).sort()) {
    hash.update(name).update('\0').update(readFileSync(join(migrations, name))).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}
