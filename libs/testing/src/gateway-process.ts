import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { projectRoot } from '@mft/config';
import { migrationsKey, seedEmbeddedDatabase } from './embedded-template.js';
import { descendantsRunning } from './processes.js';

/** The PostgreSQL server tests create their databases on. */
export function postgresAdminUrl(): string {
  return process.env.DATABASE_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** Whether this run targets PostgreSQL (DATABASE_URL set) rather than embedded PGlite. */
export const onPostgres = (): boolean => Boolean(process.env.DATABASE_URL);

/**
 * Creates a database for one test file and returns its URL; `drop` removes it. It is a copy of a
 * template database migrated once per set of migrations (CREATE DATABASE ... TEMPLATE takes a
 * fraction of a second, running every migration takes seconds), so it holds what the gateway's
 * first start would create. `empty: true` (or TEST_FRESH_DATABASES=1) creates an empty database
 * instead, for tests of the migrations themselves.
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = postgresAdminUrl();
  const name = `mft_t_${randomBytes(6).toString('hex')}`;
  const template = options.empty || process.env.TEST_FRESH_DATABASES === '1' ? null : await postgresTemplate();
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    // CREATE/DROP DATABASE take no bind parameters: the names are generated here and quoted as identifiers.
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}${template ? ` TEMPLATE ${client.escapeIdentifier(template)}` : ''}`);
  } finally {
    await client.end();
  }
  return {
    url: databaseUrl(admin, name),
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`);
      await c.end();
    },
  };
}

function databaseUrl(admin: string, name: string): string {
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

let template: Promise<string> | null = null;

/** The name of the migrated template database for the compiled migrations, created by the first caller. */
function postgresTemplate(): Promise<string> {
  template ??= buildPostgresTemplate().catch((err: unknown) => {
    template = null;
    throw err;
  });
  return template;
}

async function buildPostgresTemplate(): Promise<string> {
  const admin = postgresAdminUrl();
  const name = `mft_tpl_${migrationsKey()}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    // Test files run in parallel processes (and other checkouts may share the server): one builds, the others wait.
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      // Migrated under another name and renamed when complete: a build that dies half-way leaves no template.
      const work = `${name}_b${randomBytes(4).toString('hex')}`;
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(work)}`);
      const { Database } = await import('@mft/db');
      const db = await Database.open({ url: databaseUrl(admin, work), dataDir: tmpdir(), poolSize: 2 });
      await db.close();
      await client.query(`ALTER DATABASE ${client.escapeIdentifier(work)} RENAME TO ${client.escapeIdentifier(name)}`);
    }
    return name;
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [name]).catch(() => undefined);
    await client.end();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface GatewayOptions {
  /** Extra environment (JOBS_INTERVAL_SECONDS, CLAIM_GRACE_SECONDS, ...). */
  readonly env?: Record<string, string>;
  /** 'auto': PostgreSQL when DATABASE_URL is set, else PGlite. 'postgres': always a PostgreSQL database. */
  readonly database?: 'auto' | 'postgres';
  /** Reuse the data directory and database of an earlier gateway (restart, second replica). */
  readonly share?: TestGateway;
  /** Which entry point to run. */
  readonly entry?: string;
  /** Lines of a YAML configuration file for the gateway (CONFIG_FILE), removed when it stops. */
  readonly config?: readonly string[];
}

class PortTakenError extends Error {}

/** One request on a gateway's admin socket, as the CLI sends it; its result, or its error. */
function adminRequest(path: string, cmd: string, args: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (buf += c));
    socket.on('error', reject);
    socket.on('end', () => {
      try {
        const answer = JSON.parse(buf) as { ok: boolean; result?: unknown; error?: string };
        if (answer.ok) {
          resolve(answer.result);
        } else {
          reject(new Error(`${cmd}: ${answer.error}`));
        }
      } catch {
        reject(new Error(`${cmd}: the gateway gave no valid answer: ${buf}`));
      }
    });
    socket.write(JSON.stringify({ cmd, args }) + '\n');
  });
}

/** A gateway running as a real child process on loopback, as a user would run it. */
export class TestGateway {
  readonly #output: string[] = [];
  #proc: ChildProcess | null = null;
  #ownsData = false;
  #configDir: string | null = null;
  #drop: (() => Promise<void>) | null = null;
  port = 0;
  /** The metrics listener's port (each test gateway gets a free one unless METRICS_PORT is given). */
  metricsPort = 0;
  /** The SFTP ingress's port: a free one when the gateway was started with `SFTP_PORT: 'auto'`, else 0 (off). */
  sftpPort = 0;

  private constructor(
    readonly dataDir: string,
    readonly databaseUrl: string | null,
    readonly env: Record<string, string>,
    private readonly entry: string,
  ) {}

  static async start(options: GatewayOptions = {}): Promise<TestGateway> {
    let dataDir: string;
    let databaseUrl: string | null;
    let drop: (() => Promise<void>) | null = null;
    if (options.share) {
      dataDir = options.share.dataDir;
      databaseUrl = options.share.databaseUrl;
    } else {
      dataDir = mkdtempSync(join(tmpdir(), 'mft-gw-'));
      if (options.database === 'postgres' || onPostgres()) {
        const db = await createTestDatabase();
        databaseUrl = db.url;
        drop = db.drop;
      } else {
        databaseUrl = null;
        await seedEmbeddedDatabase(dataDir);
      }
    }
    let configDir: string | null = null;
    const env = { ...(options.share?.env ?? {}), ...(options.env ?? {}) };
    if (options.config) {
      configDir = mkdtempSync(join(tmpdir(), 'mft-cfg-'));
      env.CONFIG_FILE = join(configDir, 'config.yaml');
      writeFileSync(env.CONFIG_FILE, [...options.config, ''].join('\n'));
    }
    const gw = new TestGateway(dataDir, databaseUrl, env, options.entry ?? 'dist/apps/main.js');
    gw.#configDir = configDir;
    gw.#ownsData = !options.share;
    gw.#drop = drop;
    try {
      await gw.launch();
    } catch (err) {
      await gw.stop();
      throw err;
    }
    return gw;
  }

  /** The process id of the running gateway. */
  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  /** The process id of the gateway's SFTP ingress process (on PostgreSQL with SFTP on), or null. */
  get ingressPid(): number | null {
    return this.pid === undefined ? null : (descendantsRunning(this.pid, 'sftp-ingress/main.js')[0] ?? null);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Where Prometheus scrapes this gateway. */
  get metricsUrl(): string {
    return `http://127.0.0.1:${this.env.METRICS_PORT ?? this.metricsPort}/metrics`;
  }

  /** Environment for processes that share this gateway's data (the CLI, a restart). */
  processEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: this.dataDir,
      PORT: String(this.port),
      PUBLIC_URL: this.baseUrl,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      METRICS_PORT: String(this.metricsPort),
      ...this.env,
      // Test gateways run no SFTP ingress unless asked (`SFTP_PORT: 'auto'`): they would all want port 2222.
      SFTP_PORT: this.sftpPort > 0 ? String(this.sftpPort) : this.env.SFTP_PORT && this.env.SFTP_PORT !== 'auto' ? this.env.SFTP_PORT : 'off',
    };
    if (this.databaseUrl) {
      env.DATABASE_URL = this.databaseUrl;
    } else {
      delete env.DATABASE_URL;
    }
    return env;
  }

  async launch(): Promise<void> {
    // A free port may be taken by another test's process between the probe and the gateway's
    // listen: then the gateway stops with EADDRINUSE, and it is started again on other ports.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.launchOnce();
        return;
      } catch (err) {
        if (attempt >= 3 || !(err instanceof PortTakenError)) {
          throw err;
        }
      }
    }
  }

  private async launchOnce(): Promise<void> {
    this.port = await freePort();
    this.metricsPort = await freePort();
    if (this.env.SFTP_PORT === 'auto') {
      this.sftpPort = await freePort();
    }
    const from = this.#output.length;
    const proc = spawn(process.execPath, [this.entry], { cwd: projectRoot(), env: this.processEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.#proc = proc;
    proc.stdout!.on('data', (c: Buffer) => this.#output.push(c.toString()));
    proc.stderr!.on('data', (c: Buffer) => this.#output.push(c.toString()));
    const portTaken = (): boolean => /EADDRINUSE/.test(this.#output.slice(from).join(''));
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) {
        if (portTaken()) {
          throw new PortTakenError();
        }
        throw new Error(`gateway exited with ${proc.exitCode}:\n${this.output()}`);
      }
      try {
        const res = await fetch(`${this.baseUrl}/readyz`);
        // Ready only if it is this process that answered (not another test's gateway on a reused port).
        if (res.status === 200 && proc.exitCode === null && !portTaken()) {
          return;
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`gateway did not become ready:\n${this.output()}`);
  }

  output(): string {
    return this.#output.join('').slice(-20_000);
  }

  /** Kills the process with `signal` (SIGKILL: a crash) and waits for it to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.#proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) {
      return;
    }
    const gone = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill(signal);
    await gone;
  }

  /** Starts the same gateway again on the same data. */
  async restart(): Promise<void> {
    await this.kill('SIGTERM');
    await this.launch();
  }

  /** Runs the CLI against this gateway's data and returns its stdout. */
  async cli(...args: string[]): Promise<string> {
    return this.cliWithInput(null, ...args);
  }

  /** Runs the CLI with `input` on its standard input (a password it prompts for), and returns its stdout. */
  async cliWithInput(input: string | null, ...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const p = spawn(process.execPath, ['dist/apps/cli/src/main.js', ...args], { cwd: projectRoot(), env: this.processEnv() });
      let out = '';
      let err = '';
      p.stdout.on('data', (c: Buffer) => (out += c.toString()));
      p.stderr.on('data', (c: Buffer) => (err += c.toString()));
      p.on('error', reject);
      p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`cli ${args.join(' ')} exited ${code}: ${err}`))));
      p.stdin.end(input === null ? undefined : `${input}\n`);
    });
  }

  /**
   * Runs an administration command (`token.create`, `user.add`, `admin.set-password`, ...) on this
   * gateway's database with the code the CLI runs, without starting a CLI process: through the
   * gateway's admin socket when it holds the embedded database (as the CLI does), else in this
   * process on a connection of its own, closed afterwards. For tests that need a token or a user;
   * tests of the CLI itself run it with `cli()`.
   */
  async admin(cmd: string, args: Record<string, unknown>): Promise<unknown> {
    // The path the gateway's admin socket listens on (@mft/web adminSocketPath; that module loads all of Nest).
    const socket = join(this.dataDir, 'run', 'admin.sock');
    if (!this.databaseUrl && this.#proc?.exitCode === null && existsSync(socket)) {
      return adminRequest(socket, cmd, args);
    }
    const [{ adminServices, runAdminCommand }, { AppConfigService, loadConfig }, { Database }] = await Promise.all([import('@mft/admin'), import('@mft/config'), import('@mft/db')]);
    const cfg = new AppConfigService(loadConfig(this.processEnv()));
    const db = await Database.open({ url: this.databaseUrl, dataDir: this.dataDir, poolSize: 2 });
    try {
      return await runAdminCommand(adminServices(db, cfg), cmd, args);
    } finally {
      await db.close();
    }
  }

  /** A bearer token for `user` (the bootstrap admin by default), as `mft token create --user <user>` makes. */
  async token(user = 'admin'): Promise<string> {
    return ((await this.admin('token.create', { user, name: 'cli' })) as { token: string }).token;
  }

  /** Adds a local user, as `mft user add` does. */
  async addUser(user: { user: string; roles: readonly string[]; email?: string; groups?: readonly string[] }): Promise<void> {
    await this.admin('user.add', { user: user.user, roles: user.roles, email: user.email ?? null, groups: user.groups ?? [] });
  }

  /** Sets the password of a local user, as `mft admin set-password` does. */
  async setPassword(user: string, password: string): Promise<void> {
    await this.admin('admin.set-password', { user, password });
  }

  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    if (this.#configDir) {
      rmSync(this.#configDir, { recursive: true, force: true });
    }
    if (this.#ownsData) {
      await this.#drop?.().catch(() => undefined);
      rmSync(this.dataDir, { recursive: true, force: true });
    }
  }
}
