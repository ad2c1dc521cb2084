import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { projectRoot } from '@mft/config';
import { TestGateway } from '@mft/testing';

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI as a person would, with `env` on top of the gateway's, and answers all it wrote. */
function cli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['dist/apps/cli/src/main.js', ...args], { cwd: projectRoot(), env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end();
  });
}

/** The CLI says which data directory and database a command used, and warns when it made a new one. */
describe('the CLI names the database it works on', () => {
  let gw: TestGateway;
  let elsewhere: string;

  before(async () => {
    gw = await TestGateway.start();
    elsewhere = mkdtempSync(join(tmpdir(), 'mft-cli-other-'));
  });
  after(async () => {
    await gw?.stop();
    rmSync(elsewhere, { recursive: true, force: true });
  });

  it("with another DATA_DIR than the gateway's, token create warns that it made a new embedded database, and the gateway refuses that token", async () => {
    const other = join(elsewhere, 'data');
    const env: NodeJS.ProcessEnv = { ...gw.processEnv(), DATA_DIR: other };
    delete env.DATABASE_URL;
    const run = await cli(env, 'token', 'create', '--user', 'admin');
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stderr.split('\n');
    assert.equal(lines[0], `Using the embedded database in ${join(other, 'db')} (DATA_DIR=${other}).`);
    assert.equal(lines[1], `WARNING: there was no database in ${other}, so this command created a new, empty one there.`);
    assert.match(lines[2]!, /^WARNING: a gateway started with another DATA_DIR \(or with DATABASE_URL\) does not see what this command did/);
    assert.ok(existsSync(join(other, 'db', 'PG_VERSION')));
    const token = run.stdout.trim();
    assert.match(token, /^mft_/);
    const me = await fetch(`${gw.baseUrl}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 401, 'the running gateway has its own database and does not know this token');

    const again = await cli(env, 'token', 'create', '--user', 'admin');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stderr.split('\n')[0], `Using the embedded database in ${join(other, 'db')} (DATA_DIR=${other}).`);
    assert.doesNotMatch(again.stderr, /WARNING/, 'the second time, the database is there');
  });

  it("with the gateway's own settings, the CLI names the gateway's database and its token works", async () => {
    const run = await cli(gw.processEnv(), 'token', 'create', '--user', 'admin');
    assert.equal(run.code, 0, run.stderr);
    const first = run.stderr.split('\n')[0];
    if (gw.databaseUrl) {
      const url = new URL(gw.databaseUrl);
      assert.equal(first, `Using PostgreSQL at ${url.hostname}:${url.port || '5432'}${url.pathname}${url.username ? ` as ${url.username}` : ''} (DATABASE_URL).`);
    } else {
      assert.equal(first, `Using the embedded database in ${join(gw.dataDir, 'db')}, through the gateway that is running on it (DATA_DIR=${gw.dataDir}).`);
    }
    assert.doesNotMatch(run.stderr, /WARNING/);
    const me = await fetch(`${gw.baseUrl}/api/v1/me`, { headers: { authorization: `Bearer ${run.stdout.trim()}` } });
    assert.equal(me.status, 200);
  });

  it('never prints the password of DATABASE_URL', async () => {
    const run = await cli({ ...gw.processEnv(), DATABASE_URL: 'postgres://mft:s3cret-pass@127.0.0.1:1/nowhere?connect_timeout=2' }, 'user', 'add', '--user', 'x', '--roles', 'employee');
    assert.notEqual(run.code, 0, 'nothing listens on port 1');
    assert.equal(run.stderr.split('\n')[0], 'Using PostgreSQL at 127.0.0.1:1/nowhere as mft (DATABASE_URL).');
    assert.doesNotMatch(run.stderr + run.stdout, /s3cret-pass/);
  });

  it('every command still explains itself with --help, without opening a database', async () => {
    const dir = join(elsewhere, 'help-only');
    const env: NodeJS.ProcessEnv = { ...gw.processEnv(), DATA_DIR: dir };
    delete env.DATABASE_URL;
    for (const command of [[], ['token'], ['token', 'create'], ['admin'], ['admin', 'set-password'], ['user'], ['user', 'add'], ['secrets'], ['secrets', 'rotate']]) {
      const run = await cli(env, ...command, '--help');
      assert.equal(run.code, 0, `${command.join(' ')} --help: ${run.stderr}`);
      assert.match(run.stdout, /^Usage: mft/, command.join(' '));
      assert.doesNotMatch(run.stderr, /Using|WARNING/, command.join(' '));
    }
    assert.equal(existsSync(join(dir, 'db')), false);
  });
});
