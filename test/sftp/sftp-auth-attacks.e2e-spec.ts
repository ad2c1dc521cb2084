import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import ssh2, { type Client as SshClient, type ConnectConfig } from 'ssh2';
import { generateClientKey, runSftp, TestGateway } from '@mft/testing';
import { sftpUser, target, type SftpUser } from './sftp-fixtures.js';

const { Client, utils } = ssh2;

type ParsedKey = Exclude<ReturnType<typeof utils.parseKey>, Error | unknown[]>;

function parsed(file: string): ParsedKey {
  const k = utils.parseKey(readFileSync(file));
  assert.ok(!(k instanceof Error) && !Array.isArray(k));
  return k as ParsedKey;
}

interface Outcome {
  readonly ready: boolean;
  readonly error: string | null;
  /** What the authentication handler was asked, in order. */
  readonly asked: number;
}

/**
 * Connects with an ssh2 client that authenticates as `steps` say (one entry per attempt, from
 * ssh2's authHandler), and reports whether the server let it in.
 */
function attempt(port: number, steps: Array<ConnectConfig['authHandler'] extends infer _ ? unknown : never>, extra: Partial<ConnectConfig> = {}, onConnection?: (c: SshClient) => void): Promise<Outcome> {
  return new Promise((resolve) => {
    const c = new Client();
    let asked = 0;
    let ready = false;
    let error: string | null = null;
    const finish = (): void => resolve({ ready, error, asked });
    c.on('ready', () => {
      ready = true;
      c.end();
    });
    c.on('error', (err) => {
      error = err.message;
    });
    c.on('close', finish);
    onConnection?.(c);
    c.connect({
      host: '127.0.0.1',
      port,
      readyTimeout: 15_000,
      username: 'alice',
      ...extra,
      authHandler: (_left, _partial, next) => {
        const step = steps[asked++];
        next((step ?? false) as never);
      },
    });
  });
}

/** Signs `user` in with their key and keeps the connection open; resolves, once in, with a promise of its close. */
async function signedIn(port: number, user: SftpUser): Promise<{ closed: Promise<void> }> {
  const c = new Client();
  const closed = new Promise<void>((resolve) => c.on('close', () => resolve()));
  c.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    c.on('ready', () => resolve());
    c.on('error', reject);
    c.connect({ host: '127.0.0.1', port, username: user.username, privateKey: readFileSync(user.key.privateKeyFile) });
  });
  return { closed };
}

describe('SFTP authentication attacks (an ssh2 client written to misbehave)', () => {
  let gw: TestGateway;
  let alice: SftpUser;

  before(async () => {
    gw = await TestGateway.start({ env: { SFTP_PORT: 'auto', SFTP_RECHECK_SECONDS: '1' } });
    alice = await sftpUser(gw, 'alice');
  });
  after(async () => {
    await gw?.stop();
  });

  it('signs in with a registered key and a valid signature (the baseline)', async () => {
    const r = await attempt(gw.sftpPort, [{ type: 'publickey', username: 'alice', key: readFileSync(alice.key.privateKeyFile) }]);
    assert.equal(r.ready, true, r.error ?? '');
  });

  it('a key offered without a signature only hears "acceptable": a channel opened then is refused and nobody is signed in', async () => {
    const key = parsed(alice.key.privateKeyFile);
    let channelError: string | null = null;
    let skippedSignature = false;
    const r = await attempt(gw.sftpPort, [{ type: 'publickey', username: 'alice', key }], {}, (c) => {
      const proto = (c as unknown as { _protocol?: { authPK: (...a: unknown[]) => void } });
      c.once('handshake', () => {
        const p = (c as unknown as { _protocol: { authPK: (...a: unknown[]) => void } })._protocol;
        const original = p.authPK.bind(p);
        p.authPK = (...args: unknown[]) => {
          if (typeof args[3] === 'function') {
            // The server said PK_OK: skip the signature and act as if signed in.
            skippedSignature = true;
            c.sftp((err) => {
              channelError = err ? err.message : null;
              c.end();
            });
            return;
          }
          original(...args);
        };
        void proto;
      });
    });
    assert.equal(skippedSignature, true, 'the server answered the unsigned offer with PK_OK');
    assert.equal(r.ready, false);
    assert.match(channelError ?? 'no answer', /open failure/i);
  });

  it('a signature by another key than the one offered is refused', async () => {
    const key = parsed(alice.key.privateKeyFile);
    const other = parsed(generateClientKey('ed25519').privateKeyFile);
    const forged = Object.create(key) as ParsedKey;
    forged.sign = (data: Buffer, algo?: string) => other.sign(data, algo);
    const r = await attempt(gw.sftpPort, [{ type: 'publickey', username: 'alice', key: forged }]);
    assert.equal(r.ready, false);
    assert.match(r.error ?? '', /authentication methods failed/i);
  });

  it('a garbage signature is refused and the server stays up', async () => {
    const key = parsed(alice.key.privateKeyFile);
    const junk = Object.create(key) as ParsedKey;
    junk.sign = () => Buffer.alloc(64, 7);
    const r = await attempt(gw.sftpPort, [{ type: 'publickey', username: 'alice', key: junk }]);
    assert.equal(r.ready, false);
    assert.equal((await fetch(`${gw.baseUrl}/healthz`)).status, 200);
  });

  it('the none method and keyboard-interactive sign nobody in', async () => {
    const r = await attempt(gw.sftpPort, [{ type: 'none', username: 'alice' }, { type: 'keyboard-interactive', username: 'alice', prompt: (_n: unknown, _i: unknown, _l: unknown, _p: unknown, done: (a: string[]) => void) => done(['x']) }]);
    assert.equal(r.ready, false);
  });

  it('a user name with CR/LF is refused, and audited without the control characters taking effect', async () => {
    const r = await attempt(gw.sftpPort, [{ type: 'password', username: 'alice\r\nadmin', password: 'whatever' }]);
    assert.equal(r.ready, false);
    const admin = await gw.token();
    const res = await fetch(`${gw.baseUrl}/api/v1/audit/events?type=auth.login_failed`, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /bad_username/);
    assert.doesNotMatch(text, /alice\\r\\nadmin|alice\r\nadmin/, 'the name itself is not recorded');
  });

  it('closes the connection after 6 failed attempts: a 7th is never answered', async () => {
    const steps = Array.from({ length: 10 }, (_, i) => ({ type: 'password', username: 'alice', password: `wrong-${i}` }));
    const r = await attempt(gw.sftpPort, steps);
    assert.equal(r.ready, false);
    assert.ok(r.asked <= 7, `asked ${r.asked} times`);
  });

  it('a revoked key no longer signs in, and the session it opened is closed', async () => {
    const bob = await sftpUser(gw, 'bob');
    const { closed } = await signedIn(gw.sftpPort, bob);
    const del = await fetch(`${gw.baseUrl}/api/v1/me/ssh-keys/${bob.keyId}`, { method: 'DELETE', headers: { authorization: `Bearer ${bob.token}` } });
    assert.equal(del.status, 204);
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the open session was not closed')), 10_000))]);
    const again = await runSftp(await target(gw, bob), ['ls /']);
    assert.notEqual(again.code, 0);
  });

  it('someone whose roles allow neither sending nor sharing is refused, with the reason audited', async () => {
    const eve = await sftpUser(gw, 'eve', 'auditor');
    const r = await runSftp(await target(gw, eve), ['ls /']);
    assert.notEqual(r.code, 0);
    const admin = await gw.token();
    const audit = await (await fetch(`${gw.baseUrl}/api/v1/audit/events?type=auth.login_failed`, { headers: { authorization: `Bearer ${admin}` } })).text();
    assert.match(audit, /not_allowed/);
  });

  it('a disabled user is refused at the next login, and their open session is closed; enabled again, they need a new key', async () => {
    const dana = await sftpUser(gw, 'dana');
    const { closed } = await signedIn(gw.sftpPort, dana);
    assert.match(await gw.cli('user', 'disable', '--user', 'dana'), /"disabled":true/);
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the open session was not closed')), 10_000))]);
    const again = await runSftp(await target(gw, dana), ['ls /']);
    assert.notEqual(again.code, 0);
    const admin = await gw.token();
    const audit = await (await fetch(`${gw.baseUrl}/api/v1/audit/events?type=sftp.session_closed`, { headers: { authorization: `Bearer ${admin}` } })).text();
    assert.match(audit, /the user is disabled/);
    await gw.cli('user', 'enable', '--user', 'dana');
    const revoked = await runSftp(await target(gw, dana), ['ls /']);
    assert.notEqual(revoked.code, 0, 'disabling revoked the key for good');
    const token = await gw.token('dana');
    const key = generateClientKey('ed25519');
    const added = await fetch(`${gw.baseUrl}/api/v1/me/ssh-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'new laptop', publicKey: key.publicKey }),
    });
    assert.equal(added.status, 201);
    const back = await runSftp(await target(gw, { ...dana, token, key }), ['ls /']);
    assert.equal(back.code, 0, back.stderr);
  });
});

describe('SFTP lockout: an address over its sign-in budget is refused before any key is checked', () => {
  let gw: TestGateway;
  let carol: SftpUser;

  before(async () => {
    gw = await TestGateway.start({ env: { SFTP_PORT: 'auto' }, config: ['rateLimits:', '  loginPerIp: { max: 3, windowSeconds: 900 }'] });
    carol = await sftpUser(gw, 'carol');
  });
  after(async () => {
    await gw?.stop();
  });

  it('after 3 failed passwords from 127.0.0.1 even the right key is refused', async () => {
    for (let i = 0; i < 2; i++) {
      await attempt(gw.sftpPort, [{ type: 'password', username: 'carol', password: 'a' }, { type: 'password', username: 'carol', password: 'b' }]);
    }
    const r = await runSftp(await target(gw, carol), ['ls /']);
    assert.notEqual(r.code, 0);
    const admin = await gw.token();
    const audit = await (await fetch(`${gw.baseUrl}/api/v1/audit/events?type=auth.locked_out`, { headers: { authorization: `Bearer ${admin}` } })).text();
    assert.match(audit, /sftp/);
  });
});
