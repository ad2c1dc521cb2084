import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { Command, InvalidArgumentError } from 'commander';
import type { DatabaseLocation } from '@mft/admin';
import type { AppConfigService } from '@mft/config';
import type { Database } from '@mft/db';
import type { CreatedToken, SshKeyView } from '@mft/identity';
import { SCOPES } from '@mft/identity/scopes';
import type { RotationResult } from '@mft/storage';

// The libraries behind the commands (the database, the services, and through them much of Nest)
// are loaded when a command runs, so that `--help` and a mistyped option answer at once.

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

async function config(): Promise<AppConfigService> {
  const { AppConfigService, ConfigError, loadConfig, prepareDataDir } = await import('@mft/config');
  try {
    const values = loadConfig();
    // The CLI may be the first to create the data directory (and the embedded database in it).
    prepareDataDir(values.dataDir);
    return new AppConfigService(values);
  } catch (err) {
    fail(err instanceof ConfigError ? err.message : String(err));
  }
}

/** Sends one command to the running gateway that holds the embedded database. */
async function viaAdminSocket(dataDir: string, cmd: string, args: unknown): Promise<unknown> {
  const { adminSocketPath } = await import('@mft/web');
  const path = adminSocketPath(dataDir);
  if (!existsSync(path)) {
    fail(`the embedded database is in use by a running gateway, but its admin socket ${path} is missing`);
  }
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
          reject(new Error(answer.error));
        }
      } catch {
        reject(new Error('the gateway gave no valid answer'));
      }
    });
    socket.write(JSON.stringify({ cmd, args }) + '\n');
  });
}

/** Says on stderr which database a command works on (never a password), loudly when it is a new one. */
async function tellDatabase(where: DatabaseLocation, how: { created?: boolean; viaGateway?: boolean }): Promise<void> {
  const { databaseNotice } = await import('@mft/admin');
  process.stderr.write(databaseNotice(where, how).map((line) => `${line}\n`).join(''));
}

/** Runs a command in this process, or through the running gateway when it holds the embedded database. */
async function run(cmd: string, args: unknown): Promise<unknown> {
  const cfg = await config();
  const [{ adminServices, embeddedDatabaseExists, runAdminCommand }, { Database, DatabaseLockedError }] = await Promise.all([import('@mft/admin'), import('@mft/db')]);
  const where: DatabaseLocation = { url: cfg.databaseUrl, dataDir: cfg.dataDir };
  const created = !cfg.databaseUrl && !embeddedDatabaseExists(cfg.dataDir);
  let db: Database | null = null;
  if (cfg.databaseUrl) {
    // Before connecting, so that a server that cannot be reached is named too.
    await tellDatabase(where, {});
  }
  try {
    db = await Database.open({ url: cfg.databaseUrl, dataDir: cfg.dataDir, poolSize: 2 });
    if (!cfg.databaseUrl) {
      await tellDatabase(where, { created });
    }
    return await runAdminCommand(adminServices(db, cfg), cmd, args);
  } catch (err) {
    if (err instanceof DatabaseLockedError) {
      await tellDatabase(where, { viaGateway: true });
      return viaAdminSocket(cfg.dataDir, cmd, args).catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
    }
    fail(err instanceof Error ? err.message : String(err));
  } finally {
    await db?.close();
  }
}

async function readSecret(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    let data = '';
    for await (const chunk of process.stdin) {
      data += String(chunk);
    }
    return data.replace(/\r?\n$/, '');
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  process.stderr.write(prompt);
  const muted = rl as unknown as { _writeToOutput: (s: string) => void };
  muted._writeToOutput = () => undefined;
  const answer = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  process.stderr.write('\n');
  return answer;
}

const positiveNumber = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError('must be a positive number');
  }
  return n;
};

const program = new Command('mft')
  .description('Administration of the MFT gateway. Reads the same configuration as the gateway (config/*.yaml, environment).')
  .showHelpAfterError();

const token = program.command('token').description('API bearer tokens');
token
  .command('create')
  .description('Create an API token for a user and print it (once). Creates the local bootstrap admin "admin" if it does not exist.')
  .requiredOption('--user <name>', 'the user the token acts as')
  .option('--name <name>', 'a label for the token', 'cli')
  .option('--scopes <list>', `comma-separated scopes (${SCOPES.join(', ')}); default: all`)
  .option('--expires-in-days <days>', 'expire the token after this many days (default: never)', positiveNumber)
  .option('--json', 'print the token and its details as JSON')
  .action(async (opts: { user: string; name: string; scopes?: string; expiresInDays?: number; json?: boolean }) => {
    const expiresAt = opts.expiresInDays ? new Date(Date.now() + opts.expiresInDays * 86_400_000).toISOString() : null;
    const scopes = opts.scopes ? opts.scopes.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
    const created = (await run('token.create', { user: opts.user, name: opts.name, expiresAt, scopes })) as CreatedToken;
    if (opts.json) {
      process.stdout.write(JSON.stringify(created) + '\n');
      return;
    }
    process.stderr.write(
      `Token "${created.name}" for ${created.username}, scopes ${created.scopes.join(',')} (${created.expiresAt ? `expires ${created.expiresAt}` : 'no expiry'}). It is shown once; store it now.\n`,
    );
    process.stdout.write(`${created.token}\n`);
  });

const admin = program.command('admin').description('The local break-glass administrator');
admin
  .command('set-password')
  .description('Set the password of a local user (read from standard input, or asked for on a terminal). At least 12 characters.')
  .requiredOption('--user <name>', 'the local user, usually "admin"')
  .action(async (opts: { user: string }) => {
    const password = await readSecret(`New password for ${opts.user}: `);
    await run('admin.set-password', { user: opts.user, password });
    process.stderr.write(`Password set for ${opts.user}. Two-factor sign-in is set up at the first sign-in.\n`);
  });

const user = program.command('user').description('Local users (for API access; people normally sign in with SSO)');
user
  .command('add')
  .description('Create a local user with roles')
  .requiredOption('--user <name>', 'user name')
  .requiredOption('--roles <list>', 'comma-separated roles: admin, manager, employee, auditor, external')
  .option('--email <email>', 'email address')
  .option('--groups <list>', 'comma-separated groups, as an IdP would send them (group policy overrides apply)')
  .action(async (opts: { user: string; roles: string; email?: string; groups?: string }) => {
    const list = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const result = await run('user.add', { user: opts.user, roles: list(opts.roles), email: opts.email ?? null, groups: list(opts.groups) });
    process.stdout.write(JSON.stringify(result) + '\n');
  });

user
  .command('add-key')
  .description('Register an SSH public key for SFTP sign-in (Ed25519, ECDSA, or RSA of at least 2048 bits) and print its fingerprint')
  .requiredOption('--user <name>', 'the user the key signs in')
  .requiredOption('--key <line>', 'the public key: the one line of the .pub file, "ssh-ed25519 AAAA… comment" (quote it)')
  .option('--name <label>', "a label for the key (default: the key's comment)")
  .option('--json', 'print the key and its details as JSON')
  .action(async (opts: { user: string; key: string; name?: string; json?: boolean }) => {
    if (!/\s/.test(opts.key.trim()) && existsSync(opts.key)) {
      fail(`--key takes the key itself, not a file: --key "$(cat ${opts.key})"`);
    }
    const added = (await run('user.add-key', { user: opts.user, key: opts.key, name: opts.name })) as SshKeyView & { user: string };
    if (opts.json) {
      process.stdout.write(JSON.stringify(added) + '\n');
      return;
    }
    process.stderr.write(`Added ${added.algorithm} key "${added.name}" for ${added.user}. Fingerprint:\n`);
    process.stdout.write(`${added.fingerprint}\n`);
  });

for (const [name, description] of [
  ['disable', 'Disable a user: their sessions, API tokens, SSH keys and app passwords are revoked at once and open SFTP sessions closed; their links keep working (the same as PATCH /api/v1/users/:id)'],
  ['enable', 'Enable a disabled user again; what disabling revoked stays revoked'],
] as const) {
  user
    .command(name)
    .description(description)
    .requiredOption('--user <name>', 'user name')
    .action(async (opts: { user: string }) => {
      const result = await run(`user.${name}`, { user: opts.user });
      process.stdout.write(JSON.stringify(result) + '\n');
    });
}

const secrets = program.command('secrets').description('The secrets of storage connections, sealed in the database under a key derived from SECRET_KEY');
secrets
  .command('rotate')
  .description('Re-seal every stored secret under a new data key and delete the old keys (one transaction; the gateway may keep running)')
  .option('--json', 'print the result as JSON')
  .action(async (opts: { json?: boolean }) => {
    const r = (await run('secrets.rotate', {})) as RotationResult;
    if (opts.json) {
      process.stdout.write(JSON.stringify(r) + '\n');
      return;
    }
    process.stdout.write(`Re-sealed ${r.resealed} connection secret(s) under key ${r.keyId}; ${r.retiredKeys} old key(s) deleted.\n`);
  });

await program.parseAsync(process.argv);
