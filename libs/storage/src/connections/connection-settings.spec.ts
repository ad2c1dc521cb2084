import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionInvalidError, parseConnectionConfig } from './connection-settings.js';

const paths = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConnectionInvalidError, String(err));
    return err.problems.map((p) => p.path);
  }
  assert.fail('expected a ConnectionInvalidError');
};

const KEY = 'SHA256:' + 'A'.repeat(43);

describe('connection settings', () => {
  it('accepts local settings with share roots and normalises the root and folders', () => {
    const c = parseConnectionConfig('local', { root: '/srv/files/', shareRoots: [{ path: 'docs/', roles: ['employee'] }] }, undefined);
    assert.deepEqual(c.settings, { root: '/srv/files', shareRoots: [{ path: '/docs', roles: ['employee'], groups: [], write: false }], allowLoopback: false });
  });

  it('names every bad field', () => {
    assert.deepEqual(paths(() => parseConnectionConfig('local', { root: 'relative/dir' }, undefined)), ['settings.root']);
    assert.deepEqual(paths(() => parseConnectionConfig('local', { root: '/a/../etc' }, undefined)), ['settings.root']);
    assert.deepEqual(paths(() => parseConnectionConfig('local', {}, undefined)), ['settings.root']);
    assert.deepEqual(paths(() => parseConnectionConfig('local', { root: '/x', shareRoots: [{ path: '../up', roles: ['root'] }] }, undefined)).sort(), ['settings.shareRoots.0.path', 'settings.shareRoots.0.roles.0']);
    assert.deepEqual(paths(() => parseConnectionConfig('local', { root: '/x', colour: 'red' }, undefined)), ['settings']);
    assert.deepEqual(paths(() => parseConnectionConfig('local', { root: '/x' }, { password: 'x' })), ['secrets']);
  });

  it('applies S3 bucket naming rules and requires both keys', () => {
    for (const bucket of ['ab', 'Uppercase', 'under_score', 'a..b', '192.168.1.1', 'xn--abc', 'b-s3alias', '-start', 'end-']) {
      assert.deepEqual(paths(() => parseConnectionConfig('s3', { bucket, region: 'eu-west-1' }, { accessKeyId: 'a', secretAccessKey: 'b' })), ['settings.bucket'], bucket);
    }
    const ok = parseConnectionConfig('s3', { bucket: 'my.bucket-1', region: 'eu-west-1', prefix: '/exports/2026/', endpoint: 'http://s3.example:9000/' }, { accessKeyId: 'a', secretAccessKey: 'b' });
    assert.equal(ok.kind === 's3' && ok.settings.prefix, 'exports/2026');
    assert.equal(ok.kind === 's3' && ok.settings.endpoint, 'http://s3.example:9000');
    assert.deepEqual(paths(() => parseConnectionConfig('s3', { bucket: 'my-bucket', region: 'eu-west-1' }, undefined)), ['secrets']);
    assert.deepEqual(paths(() => parseConnectionConfig('s3', { bucket: 'my-bucket', region: 'eu-west-1', endpoint: 'ftp://x' }, { accessKeyId: 'a' })).sort(), ['secrets.secretAccessKey', 'settings.endpoint']);
    assert.deepEqual(paths(() => parseConnectionConfig('s3', { bucket: 'my-bucket', region: 'eu-west-1', endpoint: 'http://user:pw@x' }, { accessKeyId: 'a', secretAccessKey: 'b' })), ['settings.endpoint']);
  });

  it('takes the SFTP host key in the SHA256: form, with or without prefix and padding', () => {
    const c = parseConnectionConfig('sftp', { host: 'sftp.example', username: 'u', hostKeySha256: 'A'.repeat(43) + '=' }, { password: 'p' });
    assert.equal(c.kind === 'sftp' && c.settings.hostKeySha256, KEY);
    assert.equal(c.kind === 'sftp' && c.settings.port, 22);
    assert.equal(c.kind === 'sftp' && c.settings.root, '/');
    assert.deepEqual(paths(() => parseConnectionConfig('sftp', { host: 'sftp.example', username: 'u', hostKeySha256: 'MD5:aa:bb' }, { password: 'p' })), ['settings.hostKeySha256']);
    assert.deepEqual(paths(() => parseConnectionConfig('sftp', { host: 'bad host!', port: 70000, username: 'u', hostKeySha256: KEY }, { privateKey: 'k' })).sort(), ['settings.host', 'settings.port']);
    assert.deepEqual(paths(() => parseConnectionConfig('sftp', { host: 'h', username: 'u', hostKeySha256: KEY }, { password: 'p', privateKey: 'k' })).length > 0, true);
  });
});
