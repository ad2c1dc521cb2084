import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuditRepository, AuditService, type AccessContext } from '@mft/audit';
import { isDomainError, SystemClock } from '@mft/core';
import type { Database } from '@mft/db';
import { openTestDatabase } from '@mft/testing';
import { AppPasswordsRepository } from './app-passwords.repository.js';
import { PasswordHasher } from './password-hasher.js';
import { APP_PASSWORDS_PER_USER, SftpCredentialsService, SSH_KEYS_PER_USER } from './sftp-credentials.service.js';
import { SshKeysRepository } from './ssh-keys.repository.js';
import type { User } from './user.js';

const CTX: AccessContext = { actor: 'user:test', ip: '192.0.2.1', userAgent: 'test' };

const sshString = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);

/**
 * A fresh Ed25519 public key line, as `ssh-keygen` writes it. (Not ssh2's generateKeyPairSync: about
 * one key in 150 it makes comes out with 31 bytes, which no SSH server takes.)
 */
function newKey(comment = 'me@laptop'): string {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return `ssh-ed25519 ${Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(raw)]).toString('base64')} ${comment}`;
}
const blobOf = (line: string): Buffer => Buffer.from(line.split(' ')[1]!, 'base64');

async function refused(p: Promise<unknown>): Promise<{ kind: string; code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    assert.ok(isDomainError(err), String(err));
    return { kind: err.kind, code: err.code, message: err.message };
  }
  assert.fail('was not refused');
}

describe(SftpCredentialsService.name, () => {
  let db: Database;
  let close: () => Promise<void>;
  let sut: SftpCredentialsService;
  let dir: string;

  before(async () => {
    ({ db, close } = await openTestDatabase());
    const audit = new AuditService(db, new AuditRepository(db), new SystemClock());
    sut = new SftpCredentialsService(db, new SshKeysRepository(db), new AppPasswordsRepository(db), new PasswordHasher(), audit);
    sut.onModuleInit();
    dir = mkdtempSync(join(tmpdir(), 'mft-sftp-keys-'));
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await close();
  });

  async function newUser(prefix = 'u'): Promise<User> {
    const user: User = { id: randomUUID(), username: `${prefix}-${randomUUID().slice(0, 8)}`, email: null, displayName: null, roles: ['employee'] };
    await db.query(`INSERT INTO users (id, username, roles) VALUES ($1, $2, '{employee}')`, [user.id, user.username]);
    return user;
  }
  const disable = (user: User): Promise<unknown> => db.query('UPDATE users SET disabled_at = now() WHERE id = $1', [user.id]);
  const events = (type: string, id: string): Promise<Array<{ actor: string; details: Record<string, unknown> }>> =>
    db.query(`SELECT actor, details FROM audit_events WHERE type = $1 AND (details->>'keyId' = $2 OR details->>'appPasswordId' = $2)`, [type, id]);

  describe('SSH keys', () => {
    it('adds a key made by ssh-keygen and lists it with its type and the fingerprint ssh-keygen prints; audited', async () => {
      const ann = await newUser('ann');
      execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-b', '384', '-N', '', '-C', 'ann@laptop', '-f', join(dir, 'ann')]);
      const line = readFileSync(join(dir, 'ann.pub'), 'utf8');
      const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'ann.pub')], { encoding: 'utf8' }).split(' ')[1];
      const added = await sut.addKey(ann, { name: 'work laptop', publicKey: line }, CTX);
      assert.deepEqual(Object.keys(added).sort(), ['algorithm', 'createdAt', 'fingerprint', 'id', 'lastUsedAt', 'name']);
      assert.equal(added.algorithm, 'ecdsa-sha2-nistp384');
      assert.equal(added.fingerprint, fingerprint);
      assert.equal(added.name, 'work laptop');
      assert.equal(added.lastUsedAt, null);
      assert.deepEqual(await sut.listKeys(ann), [added]);
      const [event] = await events('sftp.key_added', added.id);
      assert.equal(event?.actor, 'user:test');
      assert.deepEqual(event?.details, { keyId: added.id, username: ann.username, name: 'work laptop', algorithm: 'ecdsa-sha2-nistp384', fingerprint });
      const [stored] = await db.query<{ public_key: string }>('SELECT public_key FROM ssh_keys WHERE id = $1', [added.id]);
      assert.equal(stored?.public_key, line.split(' ')[1], 'the OpenSSH base64 of the key blob');
    });

    it('a key without a name is named by its comment, else by its type', async () => {
      const bob = await newUser('bob');
      assert.equal((await sut.addKey(bob, { name: undefined, publicKey: newKey('bob@desk') }, CTX)).name, 'bob@desk');
      assert.equal((await sut.addKey(bob, { name: '', publicKey: newKey('') }, CTX)).name, 'ssh-ed25519 key');
      const bad = await refused(sut.addKey(bob, { name: 'a\u0007b', publicKey: newKey() }, CTX));
      assert.equal(bad.code, 'ssh_key_name_invalid');
      assert.equal((await refused(sut.addKey(bob, { name: 'x'.repeat(101), publicKey: newKey() }, CTX))).code, 'ssh_key_name_invalid');
      assert.equal((await refused(sut.addKey(bob, { name: 7, publicKey: newKey() }, CTX))).code, 'ssh_key_name_invalid');
    });

    it('a key registered already, by the same person or anyone else, answers 409 without saying whose it is', async () => {
      const ann = await newUser('ann');
      const eve = await newUser('eve');
      const line = newKey();
      await sut.addKey(ann, { name: 'mine', publicKey: line }, CTX);
      for (const who of [ann, eve]) {
        const r = await refused(sut.addKey(who, { name: 'again', publicKey: line }, CTX));
        assert.equal(r.kind, 'conflict');
        assert.equal(r.code, 'ssh_key_registered');
        assert.ok(!r.message.includes(ann.username), r.message);
      }
      assert.equal((await sut.listKeys(eve)).length, 0);
    });

    it("revokes one's own key at once; another person's key answers 404 and stays; a revoked key may be added again", async () => {
      const ann = await newUser('ann');
      const eve = await newUser('eve');
      const line = newKey();
      const key = await sut.addKey(ann, { name: 'k', publicKey: line }, CTX);
      const theirs = await refused(sut.revokeKey(eve, key.id, CTX));
      assert.equal(theirs.kind, 'not_found');
      assert.equal(theirs.code, 'ssh_key_not_found');
      assert.equal((await refused(sut.revokeKey(ann, 'not-a-uuid', CTX))).kind, 'not_found');
      assert.equal((await sut.findKeyLogin(ann.username, 'ssh-ed25519', blobOf(line)))?.keyId, key.id);
      assert.equal(await sut.credentialStillValid('key', key.id), true);
      await sut.revokeKey(ann, key.id, CTX);
      assert.equal((await events('sftp.key_revoked', key.id)).length, 1);
      assert.deepEqual(await sut.listKeys(ann), []);
      assert.equal(await sut.findKeyLogin(ann.username, 'ssh-ed25519', blobOf(line)), null);
      assert.equal(await sut.credentialStillValid('key', key.id), false);
      assert.equal((await refused(sut.revokeKey(ann, key.id, CTX))).code, 'ssh_key_not_found', 'revoked already');
      const again = await sut.addKey(eve, { name: 'now eve\'s', publicKey: line }, CTX);
      assert.equal((await sut.findKeyLogin(eve.username, 'ssh-ed25519', blobOf(line)))?.keyId, again.id);
    });

    it('finds a sign-in only for the exact blob, the key type, the owner and an enabled user; the RSA signature names map to ssh-rsa', async () => {
      const ann = await newUser('ann');
      const eve = await newUser('eve');
      const line = newKey();
      const key = await sut.addKey(ann, { name: 'k', publicKey: line }, CTX);
      const blob = blobOf(line);
      const found = await sut.findKeyLogin(ann.username, 'ssh-ed25519', blob);
      assert.deepEqual(found, { user: ann, keyId: key.id, fingerprint: key.fingerprint });
      assert.equal(await sut.findKeyLogin(eve.username, 'ssh-ed25519', blob), null, 'not someone else');
      assert.equal(await sut.findKeyLogin(ann.username, 'ssh-rsa', blob), null, 'not another type');
      assert.equal(await sut.findKeyLogin(ann.username, 'ssh-ed25519', Buffer.concat([blob, Buffer.from([0])])), null);
      const flipped = Buffer.from(blob);
      flipped[flipped.length - 1]! ^= 1;
      assert.equal(await sut.findKeyLogin(ann.username, 'ssh-ed25519', flipped), null);
      assert.equal(await sut.findKeyLogin(`${ann.username}\u0000`, 'ssh-ed25519', blob), null);
      assert.equal(await sut.findKeyLogin('', 'ssh-ed25519', blob), null);
      assert.equal(await sut.findKeyLogin(ann.username, 'ssh-ed25519', Buffer.alloc(0)), null);

      execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', join(dir, 'rsa')]);
      const rsaLine = readFileSync(join(dir, 'rsa.pub'), 'utf8');
      const rsa = await sut.addKey(ann, { name: 'rsa', publicKey: rsaLine }, CTX);
      for (const algo of ['ssh-rsa', 'rsa-sha2-256', 'rsa-sha2-512']) {
        assert.equal((await sut.findKeyLogin(ann.username, algo, blobOf(rsaLine)))?.keyId, rsa.id, algo);
      }

      await sut.markKeyUsed(key.id);
      assert.equal(typeof (await sut.listKeys(ann)).find((k) => k.id === key.id)?.lastUsedAt, 'string');
      await disable(ann);
      assert.equal(await sut.findKeyLogin(ann.username, 'ssh-ed25519', blob), null, 'a disabled user');
      assert.equal(await sut.credentialStillValid('key', key.id), false);
      assert.equal(await sut.credentialStillValid('key', 'nonsense'), false);
    });

    it(`refuses key number ${SSH_KEYS_PER_USER + 1} with a 422 that names the limit, also when two arrive at once`, async () => {
      const ann = await newUser('ann');
      for (let i = 0; i < SSH_KEYS_PER_USER - 1; i++) {
        await sut.addKey(ann, { name: `k${String(i)}`, publicKey: newKey() }, CTX);
      }
      const both = await Promise.allSettled([sut.addKey(ann, { name: 'a', publicKey: newKey() }, CTX), sut.addKey(ann, { name: 'b', publicKey: newKey() }, CTX)]);
      assert.equal(both.filter((r) => r.status === 'fulfilled').length, 1, 'exactly one of two at once');
      const r = await refused(sut.addKey(ann, { name: 'one more', publicKey: newKey() }, CTX));
      assert.equal(r.kind, 'policy');
      assert.equal(r.code, 'ssh_key_limit');
      assert.match(r.message, /You have 50 SSH keys, the most one person may have: revoke one/);
      assert.equal((await sut.listKeys(ann)).length, SSH_KEYS_PER_USER);
    });
  });

  describe('app passwords', () => {
    it('creates a password of 160 bits shown once, stores only its argon2id hash, and lists it without either', async () => {
      const ann = await newUser('ann');
      const created = await sut.createAppPassword(ann, { name: 'lftp on the build box' }, CTX);
      assert.deepEqual(Object.keys(created).sort(), ['createdAt', 'id', 'name', 'password']);
      assert.match(created.password, /^[a-z2-7]{32}$/);
      const [row] = await db.query<{ password_hash: string }>('SELECT password_hash FROM app_passwords WHERE id = $1', [created.id]);
      assert.match(row!.password_hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
      assert.ok(!row!.password_hash.includes(created.password));
      const list = await sut.listAppPasswords(ann);
      assert.deepEqual(list, [{ id: created.id, name: 'lftp on the build box', createdAt: created.createdAt, lastUsedAt: null }]);
      const [event] = await events('sftp.app_password_created', created.id);
      assert.deepEqual(event?.details, { appPasswordId: created.id, username: ann.username, name: 'lftp on the build box' });
      assert.ok(!JSON.stringify(event).includes(created.password));
      const noName = await refused(sut.createAppPassword(ann, { name: '  ' }, CTX));
      assert.equal(noName.code, 'app_password_name_invalid');
      assert.match(noName.message, /The name of the app password must not be empty/);
    });

    it('verifies the password of its owner only, records its use, and refuses it once revoked or the user disabled', async () => {
      const ann = await newUser('ann');
      const eve = await newUser('eve');
      const old = await sut.createAppPassword(ann, { name: 'old' }, CTX);
      const created = await sut.createAppPassword(ann, { name: 'new' }, CTX);
      const ok = await sut.verifyAppPassword(ann.username, old.password);
      assert.deepEqual(ok, { user: ann, appPasswordId: old.id }, 'any of the live ones');
      assert.equal((await sut.verifyAppPassword(ann.username, created.password))?.appPasswordId, created.id);
      assert.equal(typeof (await sut.listAppPasswords(ann)).find((p) => p.id === old.id)?.lastUsedAt, 'string');
      assert.equal(await sut.verifyAppPassword(eve.username, created.password), null, 'not for another user');
      assert.equal(await sut.verifyAppPassword(ann.username, created.password.slice(0, -1) + (created.password.endsWith('a') ? 'b' : 'a')), null);
      assert.equal(await sut.verifyAppPassword(ann.username, created.password.toUpperCase()), null);
      assert.equal(await sut.verifyAppPassword(ann.username, ''), null);
      assert.equal(await sut.verifyAppPassword(`${ann.username}\u0000`, created.password), null);

      assert.equal((await refused(sut.revokeAppPassword(eve, created.id, CTX))).code, 'app_password_not_found');
      assert.equal(await sut.credentialStillValid('app_password', created.id), true);
      await sut.revokeAppPassword(ann, created.id, CTX);
      assert.equal((await events('sftp.app_password_revoked', created.id)).length, 1);
      assert.equal(await sut.verifyAppPassword(ann.username, created.password), null);
      assert.equal(await sut.credentialStillValid('app_password', created.id), false);
      assert.deepEqual((await sut.listAppPasswords(ann)).map((p) => p.id), [old.id]);

      await disable(ann);
      assert.equal(await sut.verifyAppPassword(ann.username, old.password), null);
      assert.equal(await sut.credentialStillValid('app_password', old.id), false);
    });

    it('an unknown user name takes about as long to refuse as a known one, so names cannot be probed', async () => {
      const ann = await newUser('ann');
      await sut.createAppPassword(ann, { name: 'one' }, CTX);
      const none = await newUser('none');
      const wrong = 'abcdefghijklmnopqrstuvwxyz234567';
      const once = async (username: string): Promise<number> => {
        const t = process.hrtime.bigint();
        assert.equal(await sut.verifyAppPassword(username, wrong), null);
        return Number(process.hrtime.bigint() - t) / 1e6;
      };
      const samples = { known: [] as number[], unknown: [] as number[], noPasswords: [] as number[] };
      await once(ann.username);
      // Interleaved, so that the load of a shared machine weighs on each kind alike; medians.
      for (let i = 0; i < 7; i++) {
        samples.known.push(await once(ann.username));
        samples.unknown.push(await once(`nobody-${randomUUID()}`));
        samples.noPasswords.push(await once(none.username));
      }
      const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[3]!;
      const [known, unknown, noPasswords] = [median(samples.known), median(samples.unknown), median(samples.noPasswords)];
      // Without the dummy verification an unknown name would answer in about a millisecond: 30 times faster.
      assert.ok(unknown > known * 0.33 && unknown < known * 3, `unknown ${unknown.toFixed(1)} ms, known ${known.toFixed(1)} ms`);
      assert.ok(noPasswords > known * 0.33 && noPasswords < known * 3, `no passwords ${noPasswords.toFixed(1)} ms, known ${known.toFixed(1)} ms`);
      assert.ok(unknown > 5, `an argon2 verification was done (${unknown.toFixed(1)} ms)`);
    });

    it(`refuses app password number ${APP_PASSWORDS_PER_USER + 1} with a 422 that names the limit`, async () => {
      const ann = await newUser('ann');
      for (let i = 0; i < APP_PASSWORDS_PER_USER; i++) {
        await sut.createAppPassword(ann, { name: `p${String(i)}` }, CTX);
      }
      const r = await refused(sut.createAppPassword(ann, { name: 'one more' }, CTX));
      assert.equal(r.kind, 'policy');
      assert.equal(r.code, 'app_password_limit');
      assert.match(r.message, /You have 20 app passwords/);
    });
  });
});
