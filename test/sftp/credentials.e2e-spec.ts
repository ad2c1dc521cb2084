import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuditRepository, AuditService } from '@mft/audit';
import { SystemClock } from '@mft/core';
import { Database } from '@mft/db';
import { AppPasswordsRepository, PasswordHasher, SftpCredentialsService, SshKeysRepository } from '@mft/identity';
import { TestGateway } from '@mft/testing';
import { ADMIN_PASSWORD, signInLocalAdmin } from '../webapp/staff-session.js';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** The SFTP credentials of each person (SSH keys, app passwords) through the API and the CLI, on a real gateway. */
describe('SFTP credentials through the API and the CLI', () => {
  let gw: TestGateway;
  let dir: string;
  const tokens: Record<string, string> = {};
  const keys: Record<string, { pub: string; priv: string; fingerprint: string }> = {};

  function keygen(name: string, ...args: string[]): void {
    const file = join(dir, name);
    execFileSync('ssh-keygen', ['-q', '-N', '', '-C', `${name}@laptop`, '-f', file, ...args]);
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
    keys[name] = { pub: readFileSync(`${file}.pub`, 'utf8'), priv: readFileSync(file, 'utf8'), fingerprint };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mft-sftp-creds-'));
    for (const [name, ...args] of [
      ['ed25519', '-t', 'ed25519'],
      ['ecdsa256', '-t', 'ecdsa', '-b', '256'],
      ['ecdsa384', '-t', 'ecdsa', '-b', '384'],
      ['ecdsa521', '-t', 'ecdsa', '-b', '521'],
      ['rsa2048', '-t', 'rsa', '-b', '2048'],
      ['rsa1024', '-t', 'rsa', '-b', '1024'],
      ['dsa', '-t', 'dsa'],
      ['shared', '-t', 'ed25519'],
      ['cli', '-t', 'ed25519'],
      ['revoked', '-t', 'ed25519'],
      ['browser', '-t', 'ed25519'],
      ['json', '-t', 'ed25519'],
    ] as const) {
      keygen(name, ...args);
    }
    execFileSync('ssh-keygen', ['-q', '-s', join(dir, 'ed25519'), '-I', 'cert', '-n', 'ann', join(dir, 'rsa2048.pub')]);
    gw = await TestGateway.start();
    tokens.admin = await gw.token('admin');
    for (const name of ['ann', 'bob']) {
      await gw.cli('user', 'add', '--user', name, '--roles', 'employee');
      tokens[name] = await gw.token(name);
    }
  });
  after(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function api(who: string, method: string, path: string, body?: unknown): Promise<Answer> {
    const res = await fetch(`${gw.baseUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[who] ?? who}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  it('adds Ed25519, ECDSA P-256/384/521 and RSA 2048 keys made by ssh-keygen, answering the fingerprint ssh-keygen -l prints', async () => {
    const expected: Array<[string, string]> = [
      ['ed25519', 'ssh-ed25519'],
      ['ecdsa256', 'ecdsa-sha2-nistp256'],
      ['ecdsa384', 'ecdsa-sha2-nistp384'],
      ['ecdsa521', 'ecdsa-sha2-nistp521'],
      ['rsa2048', 'ssh-rsa'],
    ];
    for (const [name, algorithm] of expected) {
      const res = await api('ann', 'POST', '/me/ssh-keys', { name: `${name} key`, publicKey: keys[name]!.pub });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body).sort(), ['algorithm', 'createdAt', 'fingerprint', 'id', 'lastUsedAt', 'name']);
      assert.equal(res.body.algorithm, algorithm);
      assert.equal(res.body.fingerprint, keys[name]!.fingerprint);
      assert.equal(res.body.name, `${name} key`);
      assert.equal(res.body.lastUsedAt, null);
    }
    const list = await api('ann', 'GET', '/me/ssh-keys');
    assert.equal(list.status, 200);
    const listed = list.body.keys as Array<{ name: string; fingerprint: string }>;
    assert.deepEqual(listed.map((k) => k.name), ['rsa2048 key', 'ecdsa521 key', 'ecdsa384 key', 'ecdsa256 key', 'ed25519 key'], 'newest first');
    assert.deepEqual((await api('bob', 'GET', '/me/ssh-keys')).body, { keys: [] }, 'each person sees their own');
  });

  it('refuses a short RSA key, DSA, a certificate, a private key and garbage with a 400 that says what to paste', async () => {
    const cases: Array<[string, string, RegExp]> = [
      [keys.rsa1024!.pub, 'ssh_key_too_short', /This RSA key has 1024 bits; RSA keys need at least 2048/],
      [keys.dsa!.pub, 'ssh_key_type_unsupported', /DSA keys \(ssh-dss\) are no longer safe/],
      [readFileSync(join(dir, 'rsa2048-cert.pub'), 'utf8'), 'ssh_key_certificate', /SSH certificates are not accepted/],
      [keys.ed25519!.priv, 'ssh_key_private', /This is a private key: keep it secret/],
      [keys.rsa2048!.priv, 'ssh_key_private', /This is a private key/],
      ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDamaged', 'ssh_key_invalid', /The key data is damaged or incomplete/],
      ['hello', 'ssh_key_invalid', /This is not an OpenSSH public key/],
      [`${keys.ed25519!.pub.trim()}\u0007`, 'ssh_key_control_characters', /contains a control character/],
    ];
    for (const [publicKey, code, message] of cases) {
      const res = await api('bob', 'POST', '/me/ssh-keys', { name: 'x', publicKey });
      assert.equal(res.status, 400, `${code}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, code);
      assert.match(String(res.body.message), message);
      assert.ok(!JSON.stringify(res.body).includes(keys.ed25519!.priv.split('\n')[2]!), 'a private key is never repeated');
    }
    const nul = await api('bob', 'POST', '/me/ssh-keys', { name: 'x', publicKey: `${keys.ed25519!.pub.trim()}\u0000` });
    assert.equal(nul.status, 400);
    const missing = await api('bob', 'POST', '/me/ssh-keys', { name: 'x' });
    assert.equal(missing.status, 400);
    assert.match(String(missing.body.message), /publicKey is required/);
    assert.equal((await api('bob', 'POST', '/me/ssh-keys', { name: 'x', publicKey: keys.ed25519!.pub, extra: 1 })).status, 400, 'unknown fields are refused');
    assert.deepEqual((await api('bob', 'GET', '/me/ssh-keys')).body, { keys: [] }, 'nothing was added');
  });

  it('a key registered already answers 409, to its owner and to anyone else, without naming the owner', async () => {
    assert.equal((await api('ann', 'POST', '/me/ssh-keys', { name: 'shared', publicKey: keys.shared!.pub })).status, 201);
    for (const who of ['ann', 'bob']) {
      const res = await api(who, 'POST', '/me/ssh-keys', { name: 'again', publicKey: keys.shared!.pub });
      assert.equal(res.status, 409);
      assert.equal(res.body.code, 'ssh_key_registered');
      assert.match(String(res.body.message), /is registered already, and a key can sign in only one person/);
      assert.doesNotMatch(String(res.body.message), /ann/);
    }
  });

  it("revokes one's own key (204); another person's key, a revoked one or a made-up id answer 404; a malformed id 400", async () => {
    const added = await api('ann', 'POST', '/me/ssh-keys', { name: 'to revoke', publicKey: keys.revoked!.pub });
    const id = String(added.body.id);
    const theirs = await api('bob', 'DELETE', `/me/ssh-keys/${id}`);
    assert.equal(theirs.status, 404);
    assert.equal(theirs.body.code, 'ssh_key_not_found');
    assert.ok(((await api('ann', 'GET', '/me/ssh-keys')).body.keys as Array<{ id: string }>).some((k) => k.id === id), 'still there');
    assert.equal((await api('ann', 'DELETE', `/me/ssh-keys/${id}`)).status, 204);
    assert.ok(!((await api('ann', 'GET', '/me/ssh-keys')).body.keys as Array<{ id: string }>).some((k) => k.id === id), 'gone from the list');
    assert.equal((await api('ann', 'DELETE', `/me/ssh-keys/${id}`)).status, 404);
    assert.equal((await api('ann', 'DELETE', '/me/ssh-keys/00000000-0000-4000-8000-000000000000')).status, 404);
    assert.equal((await api('ann', 'DELETE', '/me/ssh-keys/not-an-id')).status, 400);
    const events = (await api('admin', 'GET', '/audit/events?type=sftp.key_revoked')).body as unknown as Array<{ actor: string; ip: string; details: Record<string, unknown> }>;
    assert.deepEqual(
      events.map((e) => [e.actor, e.details.keyId, e.details.fingerprint]),
      [['user:ann', id, keys.revoked!.fingerprint]],
    );
  });

  it('an app password is answered once (201), listed without it, and revocable', async () => {
    const created = await api('ann', 'POST', '/me/app-passwords', { name: 'lftp' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(Object.keys(created.body).sort(), ['createdAt', 'id', 'name', 'password']);
    assert.match(String(created.body.password), /^[a-z2-7]{32}$/);
    const list = await api('ann', 'GET', '/me/app-passwords');
    assert.equal(list.status, 200);
    const listed = list.body.appPasswords as Array<Record<string, unknown>>;
    assert.deepEqual(listed, [{ id: created.body.id, name: 'lftp', createdAt: created.body.createdAt, lastUsedAt: null }]);
    assert.ok(!JSON.stringify(list.body).includes(String(created.body.password)));
    assert.deepEqual((await api('bob', 'GET', '/me/app-passwords')).body, { appPasswords: [] });
    assert.equal((await api('bob', 'DELETE', `/me/app-passwords/${String(created.body.id)}`)).status, 404);
    const noName = await api('ann', 'POST', '/me/app-passwords', { name: ' ' });
    assert.equal(noName.status, 400);
    assert.equal(noName.body.code, 'app_password_name_invalid');
    const second = await api('ann', 'POST', '/me/app-passwords', { name: 'to revoke' });
    assert.equal((await api('ann', 'DELETE', `/me/app-passwords/${String(second.body.id)}`)).status, 204);
    assert.deepEqual(((await api('ann', 'GET', '/me/app-passwords')).body.appPasswords as Array<{ name: string }>).map((p) => p.name), ['lftp']);
    tokens.annPassword = String(created.body.password);
    tokens.annRevokedPassword = String(second.body.password);
  });

  it('bob may have 20 app passwords; the 21st is refused with a 422 naming the limit', async () => {
    for (let i = 0; i < 20; i++) {
      assert.equal((await api('bob', 'POST', '/me/app-passwords', { name: `p${String(i)}` })).status, 201);
    }
    const res = await api('bob', 'POST', '/me/app-passwords', { name: 'one more' });
    assert.equal(res.status, 422);
    assert.equal(res.body.code, 'app_password_limit');
    assert.match(String(res.body.message), /You have 20 app passwords, the most one person may have/);
  });

  it('a token that may only read lists credentials but cannot add or revoke them (403 token_scope_missing)', async () => {
    const readOnly = (await gw.cli('token', 'create', '--user', 'ann', '--scopes', 'links:read,links:write')).trim();
    assert.equal((await api(readOnly, 'GET', '/me/ssh-keys')).status, 200);
    assert.equal((await api(readOnly, 'GET', '/me/app-passwords')).status, 200);
    for (const [method, path, body] of [
      ['POST', '/me/ssh-keys', { name: 'x', publicKey: keys.cli!.pub }],
      ['POST', '/me/app-passwords', { name: 'x' }],
      ['DELETE', '/me/ssh-keys/00000000-0000-4000-8000-000000000000', undefined],
      ['DELETE', '/me/app-passwords/00000000-0000-4000-8000-000000000000', undefined],
    ] as const) {
      const res = await api(readOnly, method, path, body);
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.body.code, 'token_scope_missing');
    }
  });

  it('a browser session adds a key or an app password only with its CSRF token', async () => {
    const jar = await signInLocalAdmin(gw);
    const me = (await (await jar.fetch(`${gw.baseUrl}/api/v1/me`)).json()) as { csrfToken: string };
    for (const [path, body] of [
      ['/me/ssh-keys', { name: 'browser', publicKey: keys.browser!.pub }],
      ['/me/app-passwords', { name: 'browser' }],
    ] as const) {
      const without = await jar.fetch(`${gw.baseUrl}/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(without.status, 403);
      assert.equal(((await without.json()) as { code: string }).code, 'csrf_invalid');
      const withToken = await jar.fetch(`${gw.baseUrl}/api/v1${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: JSON.stringify(body),
      });
      assert.equal(withToken.status, 201, path);
    }
  });

  it('npm run cli -- user add-key registers a key for a user and prints its fingerprint; --help says how', async () => {
    const help = await gw.cli('user', 'add-key', '--help');
    assert.match(help, /--user <name>/);
    assert.match(help, /--key <line>/);
    assert.match(help, /--name <label>/);
    const out = await gw.cli('user', 'add-key', '--user', 'bob', '--key', keys.cli!.pub.trim(), '--name', 'ci runner');
    assert.equal(out.trim(), keys.cli!.fingerprint);
    const listed = (await api('bob', 'GET', '/me/ssh-keys')).body.keys as Array<{ name: string; fingerprint: string; algorithm: string }>;
    assert.deepEqual(
      listed.map((k) => [k.name, k.algorithm, k.fingerprint]),
      [['ci runner', 'ssh-ed25519', keys.cli!.fingerprint]],
    );
    await assert.rejects(gw.cli('user', 'add-key', '--user', 'ann', '--key', keys.cli!.pub), /is registered already/);
    await assert.rejects(gw.cli('user', 'add-key', '--user', 'nobody', '--key', keys.cli!.pub), /There is no enabled user named "nobody"/);
    await assert.rejects(gw.cli('user', 'add-key', '--user', 'bob', '--key', keys.rsa1024!.pub), /RSA keys need at least 2048/);
    await assert.rejects(gw.cli('user', 'add-key', '--user', 'bob'), /required option '--key <line>' not specified/);
    await assert.rejects(gw.cli('user', 'add-key', '--user', 'bob', '--key', join(dir, 'json.pub')), /--key takes the key itself, not a file/);
    const json = JSON.parse(await gw.cli('user', 'add-key', '--user', 'bob', '--key', keys.json!.pub, '--json')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json).sort(), ['algorithm', 'createdAt', 'fingerprint', 'id', 'lastUsedAt', 'name', 'user']);
    assert.equal(json.name, 'json@laptop', 'named by its comment');
    const events = (await api('admin', 'GET', '/audit/events?type=cli.user.add-key,sftp.key_added')).body as unknown as Array<{ type: string; actor: string; outcome: string; details: Record<string, unknown> }>;
    const cli = events.filter((e) => e.details.fingerprint === keys.cli!.fingerprint);
    assert.deepEqual(cli.map((e) => [e.type, e.actor]).sort(), [['cli.user.add-key', 'cli'], ['sftp.key_added', 'cli']]);
    assert.ok(events.some((e) => e.type === 'cli.user.add-key' && e.outcome === 'failure' && e.details.error === 'ssh_key_too_short'), 'a refused key is audited as a failure');
  });

  it('what the API stored is what the SFTP ingress finds: the key blob, the app password (once revoked, neither)', async () => {
    // The gateway holds an embedded database alone: stop it, then open its database as the ingress would.
    await gw.kill();
    const db = await Database.open({ url: gw.databaseUrl, dataDir: gw.dataDir, poolSize: 2 });
    try {
      const audit = new AuditService(db, new AuditRepository(db), new SystemClock());
      const sut = new SftpCredentialsService(db, new SshKeysRepository(db), new AppPasswordsRepository(db), new PasswordHasher(), audit);
      const blob = (line: string): Buffer => Buffer.from(line.split(' ')[1]!, 'base64');
      const ann = await sut.findKeyLogin('ann', 'ssh-ed25519', blob(keys.ed25519!.pub));
      assert.equal(ann?.user.username, 'ann');
      assert.equal(ann?.fingerprint, keys.ed25519!.fingerprint);
      assert.equal((await sut.findKeyLogin('ann', 'rsa-sha2-512', blob(keys.rsa2048!.pub)))?.user.username, 'ann');
      assert.equal((await sut.findKeyLogin('bob', 'ssh-ed25519', blob(keys.cli!.pub)))?.user.username, 'bob');
      assert.equal(await sut.findKeyLogin('bob', 'ssh-ed25519', blob(keys.ed25519!.pub)), null, "ann's key does not sign bob in");
      assert.equal(await sut.findKeyLogin('ann', 'ssh-ed25519', blob(keys.revoked!.pub)), null, 'a revoked key');
      const login = await sut.verifyAppPassword('ann', tokens.annPassword!);
      assert.equal(login?.user.username, 'ann');
      assert.equal(await sut.credentialStillValid('app_password', login!.appPasswordId), true);
      assert.equal(await sut.verifyAppPassword('ann', tokens.annRevokedPassword!), null, 'a revoked app password');
      assert.equal(await sut.verifyAppPassword('bob', tokens.annPassword!), null);
      assert.equal(await sut.verifyAppPassword('ann', ADMIN_PASSWORD), null);
      const [used] = await db.query<{ last_used_at: Date | null }>('SELECT last_used_at FROM app_passwords WHERE id = $1', [login!.appPasswordId]);
      assert.ok(used?.last_used_at, 'its use is recorded');
    } finally {
      await db.close();
    }
  });
});
