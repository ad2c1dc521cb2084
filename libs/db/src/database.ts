import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DataSource, type QueryRunner } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import { Semaphore } from '@mft/core';
import { migrations } from './migrations/index.js';

/** Anything that runs parameterised SQL: the database itself or an open transaction. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export type DatabaseKind = 'postgres' | 'pglite';

export interface DatabaseOptions {
  /** postgres:// URL; null = embedded PGlite under `dataDir`. */
  url: string | null;
  dataDir: string;
  poolSize?: number;
}

/** Raised when the embedded database is already open in another live process. */
export class DatabaseLockedError extends Error {
  constructor(readonly pid: number) {
    super(`the embedded database is in use by process ${pid}`);
  }
}

/**
 * The one door to the database. Every statement is parameterised. A transaction is scoped with
 * AsyncLocalStorage, so a `query` made inside `transaction()` joins it. On embedded PGlite (one
 * connection) transactions are serialised, because concurrent BEGINs on one connection would mix.
 */
export class Database implements Queryable {
  readonly #tx = new AsyncLocalStorage<QueryRunner>();
  readonly #afterCommit = new WeakMap<QueryRunner, Array<() => void>>();
  readonly #serial: Semaphore | null;

  private constructor(
    private readonly ds: DataSource,
    readonly kind: DatabaseKind,
    private readonly lockFile: string | null,
  ) {
    this.#serial = kind === 'pglite' ? new Semaphore(1) : null;
  }

  static async open(options: DatabaseOptions): Promise<Database> {
    let lockFile: string | null = null;
    let ds: DataSource;
    if (options.url) {
      ds = new DataSource({
        type: 'postgres',
        url: options.url,
        poolSize: options.poolSize ?? 10,
        migrations,
        migrationsTableName: 'schema_migrations',
        installExtensions: false,
        applicationName: 'mft-gateway',
      });
    } else {
      mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
      keepEmbeddedFilesPrivate();
      lockFile = acquireLock(join(options.dataDir, 'db.lock'));
      const held = lockFile;
      process.once('exit', () => rmSync(held, { force: true }));
      ds = new DataSource({
        type: 'postgres',
        // A small buffer pool: the embedded engine's memory is the process's memory.
        driver: new PGliteDriver({ dataDir: join(options.dataDir, 'db'), postgresqlconf: ['shared_buffers=32MB'] }).driver,
        migrations,
        migrationsTableName: 'schema_migrations',
        uuidExtension: 'pgcrypto',
        installExtensions: false,
      });
    }
    const db = new Database(ds, options.url ? 'postgres' : 'pglite', lockFile);
    try {
      await ds.initialize();
      await db.migrate();
    } catch (err) {
      await db.close();
      throw err;
    }
    return db;
  }

  /** Runs pending migrations, one process at a time across replicas. */
  private async migrate(): Promise<void> {
    const runner = this.ds.createQueryRunner();
    try {
      await runner.query('SELECT pg_advisory_lock(7311001)');
      await this.ds.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock(7311001)').catch(() => undefined);
      await runner.release();
    }
  }

  async query<T = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const runner = this.#tx.getStore();
    if (runner) {
      return run<T>(runner, sql, params);
    }
    const once = async (): Promise<T[]> => {
      const r = this.ds.createQueryRunner();
      try {
        return await run<T>(r, sql, params);
      } finally {
        await r.release();
      }
    };
    return this.#serial ? this.#serial.run(once) : once();
  }

  /**
   * Runs `fn` once the current transaction has committed (at once when there is none); never when it
   * rolls back. For side effects outside the database, such as waking a worker.
   */
  afterCommit(fn: () => void): void {
    const runner = this.#tx.getStore();
    const pending = runner ? this.#afterCommit.get(runner) : undefined;
    if (pending) {
      pending.push(fn);
    } else {
      queueMicrotask(fn);
    }
  }

  /** Runs `fn` in one transaction; every `query` made inside it, on any repository, joins it. */
  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const outer = this.#tx.getStore();
    if (outer) {
      return fn(this);
    }
    const body = async (): Promise<T> => {
      const runner = this.ds.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      const committed: Array<() => void> = [];
      this.#afterCommit.set(runner, committed);
      try {
        const result = await this.#tx.run(runner, () => fn(this));
        await runner.commitTransaction();
        for (const callback of committed) {
          queueMicrotask(callback);
        }
        return result;
      } catch (err) {
        if (runner.isTransactionActive) {
          await runner.rollbackTransaction().catch(() => undefined);
        }
        throw err;
      } finally {
        this.#afterCommit.delete(runner);
        await runner.release();
      }
    };
    return this.#serial ? this.#serial.run(body) : body();
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.ds.isInitialized) {
      await this.ds.destroy();
    }
    if (this.lockFile) {
      rmSync(this.lockFile, { force: true });
    }
  }
}

async function run<T>(runner: QueryRunner, sql: string, params: readonly unknown[]): Promise<T[]> {
  const result = await runner.query(sql, params as unknown[], true);
  return (result.records ?? []) as T[];
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One process at a time may open an embedded database; a lock left by a dead process is taken over. */
function acquireLock(file: string): string {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return file;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw err;
      }
      const pid = Number(existsSync(file) ? readFileSync(file, 'utf8').trim() : NaN);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new DatabaseLockedError(pid);
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not take the embedded database lock ${file}`);
}

let embeddedFilesPrivate = false;

/**
 * The embedded engine sets the POSIX mode of every file it creates itself (0666 or 0644, Emscripten's
 * defaults) with chmod, which the process umask does not restrict. Its files hold token hashes and
 * the audit log, so chmod in this process never grants anything to the group or other accounts.
 */
function keepEmbeddedFilesPrivate(): void {
  if (embeddedFilesPrivate) {
    return;
  }
  embeddedFilesPrivate = true;
  // The engine calls the CommonJS `fs` functions (require("node:fs")), so that is where the rule goes.
  const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
  const privateMode = (mode: import('node:fs').Mode): number => (typeof mode === 'string' ? parseInt(mode, 8) : mode) & ~0o077;
  const { chmodSync, fchmodSync, lchmodSync } = fs;
  fs.chmodSync = (path, mode) => chmodSync(path, privateMode(mode));
  fs.fchmodSync = (fd, mode) => fchmodSync(fd, privateMode(mode));
  if (lchmodSync) {
    fs.lchmodSync = (path, mode) => lchmodSync(path, privateMode(mode));
  }
}
