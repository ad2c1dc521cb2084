import 'reflect-metadata';
import { connect } from 'node:net';
import { existsSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { AuditRepository, AuditService } from '@mft/audit';
import { AppConfigService, ConfigError, loadConfig } from '@mft/config';
import { SystemClock } from '@mft/core';
import { Database, DatabaseLockedError } from '@mft/db';
import { IdentityRepository, TokenService, type CreatedToken } from '@mft/identity';
import { adminSocketPath } from '@mft/web';

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

function config(): AppConfigService {
  try {
    return new AppConfigService(loadConfig());
  } catch (err) {
    fail(err instanceof ConfigError ? err.message : String(err));
  }
}

/** Sends one command to the running gateway that holds the embedded database. */
function viaAdminSocket(dataDir: string, cmd: string, args: Record<string, unknown>): Promise<unknown> {
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

async function createToken(opts: { user: string; name: string; expiresInDays?: number; json?: boolean }): Promise<void> {
  const cfg = config();
  const expiresAt = opts.expiresInDays ? new Date(Date.now() + opts.expiresInDays * 86_400_000) : null;
  const ctx = { actor: 'cli', ip: null, userAgent: 'mft-cli' };
  let created: CreatedToken;
  let db: Database | null = null;
  try {
    db = await Database.open({ url: cfg.databaseUrl, dataDir: cfg.dataDir, poolSize: 2 });
    const clock = new SystemClock();
    const audit = new AuditService(db, new AuditRepository(db), clock);
    created = await new TokenService(db, new IdentityRepository(db), audit, clock).create({ username: opts.user, name: opts.name, expiresAt }, ctx);
  } catch (err) {
    if (err instanceof DatabaseLockedError) {
      created = (await viaAdminSocket(cfg.dataDir, 'token.create', { user: opts.user, name: opts.name, expiresAt: expiresAt?.toISOString() ?? null }).catch(
        (e: unknown) => fail(e instanceof Error ? e.message : String(e)),
      )) as CreatedToken;
    } else {
      fail(err instanceof Error ? err.message : String(err));
    }
  } finally {
    await db?.close();
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify(created) + '\n');
    return;
  }
  process.stderr.write(`Token "${created.name}" for ${created.username} (${created.expiresAt ? `expires ${created.expiresAt}` : 'no expiry'}). It is shown once; store it now.\n`);
  process.stdout.write(`${created.token}\n`);
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
  .option('--expires-in-days <days>', 'expire the token after this many days (default: never)', positiveNumber)
  .option('--json', 'print the token and its details as JSON')
  .action(createToken);

await program.parseAsync(process.argv);
