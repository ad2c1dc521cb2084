import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isDomainError } from '@mft/core';
import { generateAppPassword, looksLikeAppPassword } from './app-passwords.js';
import { fingerprintOf, parseSshPublicKey } from './ssh-keys.js';

/** Generates keys with Debian's ssh-keygen, as a person would. */
function keygen(dir: string, name: string, ...args: string[]): { pub: string; priv: string; fingerprint: string } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-N', '', '-C', `${name}@laptop`, '-f', file, ...args]);
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
  return { pub: readFileSync(`${file}.pub`, 'utf8'), priv: readFileSync(file, 'utf8'), fingerprint };
}

const refusal = (input: unknown): { code: string; message: string } => {
  try {
    parseSshPublicKey(input);
  } catch (err) {
    assert.ok(isDomainError(err), String(err));
    assert.equal(err.kind, 'invalid');
    return { code: err.code, message: err.message };
  }
  assert.fail(`accepted ${String(input).slice(0, 80)}`);
};

describe(parseSshPublicKey.name, () => {
  let dir: string;
  const keys: Record<string, ReturnType<typeof keygen>> = {};

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mft-keys-'));
    keys.ed25519 = keygen(dir, 'ed25519', '-t', 'ed25519');
    keys.ecdsa256 = keygen(dir, 'ecdsa256', '-t', 'ecdsa', '-b', '256');
    keys.ecdsa384 = keygen(dir, 'ecdsa384', '-t', 'ecdsa', '-b', '384');
    keys.ecdsa521 = keygen(dir, 'ecdsa521', '-t', 'ecdsa', '-b', '521');
    keys.rsa2048 = keygen(dir, 'rsa2048', '-t', 'rsa', '-b', '2048');
    keys.rsa1024 = keygen(dir, 'rsa1024', '-t', 'rsa', '-b', '1024');
    keys.dsa = keygen(dir, 'dsa', '-t', 'dsa');
    execFileSync('ssh-keygen', ['-q', '-s', join(dir, 'ed25519'), '-I', 'cert', '-n', 'someone', join(dir, 'rsa2048.pub')]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts Ed25519, ECDSA P-256/384/521 and RSA 2048 with the fingerprint ssh-keygen -l prints', () => {
    const expected: Array<[string, string]> = [
      ['ed25519', 'ssh-ed25519'],
      ['ecdsa256', 'ecdsa-sha2-nistp256'],
      ['ecdsa384', 'ecdsa-sha2-nistp384'],
      ['ecdsa521', 'ecdsa-sha2-nistp521'],
      ['rsa2048', 'ssh-rsa'],
    ];
    for (const [name, algorithm] of expected) {
      const key = keys[name]!;
      const parsed = parseSshPublicKey(key.pub);
      assert.equal(parsed.algorithm, algorithm);
      assert.equal(parsed.fingerprint, key.fingerprint, name);
      assert.equal(fingerprintOf(parsed.blob), key.fingerprint);
      assert.equal(parsed.blob.toString('base64'), key.pub.split(' ')[1]);
      assert.equal(parsed.comment, `${name}@laptop`);
    }
  });

  it('takes a key without a comment, and one pasted with surrounding blank lines', () => {
    const [type, data] = keys.ed25519!.pub.split(' ');
    assert.equal(parseSshPublicKey(`${type!} ${data!}`).fingerprint, keys.ed25519!.fingerprint);
    assert.equal(parseSshPublicKey(`\n  ${keys.ed25519!.pub}\r\n\n`).fingerprint, keys.ed25519!.fingerprint);
  });

  it('refuses RSA under 2048 bits, DSA, certificates and private keys, saying what to paste instead', () => {
    const short = refusal(keys.rsa1024!.pub);
    assert.equal(short.code, 'ssh_key_too_short');
    assert.match(short.message, /1024 bits; RSA keys need at least 2048/);
    assert.equal(refusal(keys.dsa!.pub).code, 'ssh_key_type_unsupported');
    assert.match(refusal(keys.dsa!.pub).message, /DSA keys \(ssh-dss\)/);
    const cert = refusal(readFileSync(join(dir, 'rsa2048-cert.pub'), 'utf8'));
    assert.equal(cert.code, 'ssh_key_certificate');
    for (const name of ['ed25519', 'rsa2048', 'ecdsa256']) {
      const priv = refusal(keys[name]!.priv);
      assert.equal(priv.code, 'ssh_key_private');
      assert.match(priv.message, /This is a private key/);
      assert.ok(!priv.message.includes(keys[name]!.priv.split('\n')[1]!), 'the message never repeats the key');
    }
    const pem = execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519'], { encoding: 'utf8' });
    assert.equal(refusal(pem).code, 'ssh_key_private');
  });

  it('refuses garbage, damaged or cut-off key data, trailing bytes, options, control characters and several keys', () => {
    const [type, data, comment] = keys.ed25519!.pub.trim().split(' ') as [string, string, string];
    assert.equal(refusal(undefined).code, 'ssh_key_required');
    assert.equal(refusal('   ').code, 'ssh_key_required');
    assert.equal(refusal(42).code, 'ssh_key_required');
    assert.equal(refusal('hello world').code, 'ssh_key_invalid');
    assert.equal(refusal(data).code, 'ssh_key_invalid');
    assert.equal(refusal(`${type} ${data.slice(0, 40)}`).code, 'ssh_key_invalid');
    assert.equal(refusal(`${type} not-base64!`).code, 'ssh_key_invalid');
    const longer = Buffer.concat([Buffer.from(data, 'base64'), Buffer.from([0, 0, 0, 1, 7])]).toString('base64');
    assert.equal(refusal(`${type} ${longer}`).code, 'ssh_key_invalid', 'bytes after the key');
    assert.equal(refusal(`ssh-rsa ${data}`).code, 'ssh_key_invalid', 'a type that is not the blob\'s');
    const ec = keys.ecdsa256!.pub.split(' ');
    const point = Buffer.from(ec[1]!, 'base64');
    point[point.length - 3]! ^= 0xff;
    assert.equal(refusal(`${ec[0]!} ${point.toString('base64')}`).code, 'ssh_key_invalid', 'a point off the curve');
    const options = refusal(`from="10.0.0.1",no-pty ${keys.ed25519!.pub}`);
    assert.match(options.message, /Remove the options in front of the key type/);
    assert.match(refusal(`command="echo hi there" ${keys.ed25519!.pub}`).message, /Remove the options/);
    assert.equal(refusal(`${type} ${data} evil\u0000comment`).code, 'ssh_key_control_characters');
    assert.equal(refusal(`${type}\t${data} ${comment}`).code, 'ssh_key_control_characters');
    assert.equal(refusal(`${type} ${data} \u001b[31mred`).code, 'ssh_key_control_characters');
    assert.match(refusal(`${keys.ed25519!.pub}${keys.ecdsa256!.pub}`).message, /one key at a time/);
    assert.equal(refusal('x'.repeat(20_000)).code, 'ssh_key_invalid');
    assert.equal(refusal(`sk-ssh-ed25519@openssh.com ${data}`).code, 'ssh_key_type_unsupported');
    assert.match(refusal('---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n---- END SSH2 PUBLIC KEY ----').message, /ssh-keygen -i -f/);
  });
});

describe(generateAppPassword.name, () => {
  it('makes 32 lower-case base32 characters (160 bits), different each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = generateAppPassword();
      assert.match(p, /^[a-z2-7]{32}$/);
      assert.ok(looksLikeAppPassword(p));
      seen.add(p);
    }
    assert.equal(seen.size, 200);
    const chars = new Set([...Array.from({ length: 200 }, generateAppPassword).join('')]);
    assert.equal(chars.size, 32, 'every character of the alphabet turns up');
    assert.equal(looksLikeAppPassword('correct horse battery staple'), false);
  });
});
