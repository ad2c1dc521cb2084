import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadOrCreateHostKeys, normaliseFingerprint, readHostKeys, sshFingerprint } from './host-keys.js';

describe('SFTP host keys', () => {
  it('are made once in the data directory (mode 0600) and kept: a restart serves the same fingerprints', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mft-hostkeys-'));
    assert.equal(readHostKeys(dir), null, 'nothing before the first start');
    const first = loadOrCreateHostKeys(dir);
    assert.deepEqual(first.map((k) => k.type), ['ssh-ed25519', 'ssh-rsa']);
    for (const k of first) {
      assert.match(k.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
    }
    assert.equal(statSync(join(dir, 'sftp', 'ssh_host_ed25519_key')).mode & 0o777, 0o600);
    const again = loadOrCreateHostKeys(dir);
    assert.deepEqual(again.map((k) => k.fingerprint), first.map((k) => k.fingerprint));
    assert.deepEqual(readHostKeys(dir)!.map((k) => k.publicKey), first.map((k) => k.publicKey));
  });

  it('compares fingerprints with or without the SHA256: prefix and the padding', () => {
    const fp = sshFingerprint(Buffer.from('key blob'));
    assert.equal(normaliseFingerprint(fp), fp);
    assert.equal(normaliseFingerprint(fp.slice('SHA256:'.length)), fp);
    assert.equal(normaliseFingerprint(`${fp}=`), fp);
  });
});
