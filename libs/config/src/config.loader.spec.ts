import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, projectRoot } from './config.loader.js';

describe(loadConfig.name, () => {
  it('loads the embedded defaults', () => {
    const c = loadConfig({}, projectRoot());
    assert.equal(c.http.port, 8080);
    assert.equal(c.database.url, null);
    assert.equal(c.links.maxFileBytes, 10 * 1024 ** 3);
    assert.equal(c.links.maxFileBytes, 10 * 1024 ** 3);
  });

  it('applies environment overrides', () => {
    const c = loadConfig({ PORT: '9000', TRUSTED_PROXIES: '10.0.0.1, 10.0.0.0/8', DATABASE_URL: 'postgres://u@h/db' }, projectRoot());
    assert.equal(c.http.port, 9000);
    assert.deepEqual(c.http.trustedProxies, ['10.0.0.1', '10.0.0.0/8']);
    assert.equal(c.database.url, 'postgres://u@h/db');
  });

  it('refuses a bad value and names the environment variable and the key', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }, projectRoot()), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /PORT \(http\.port\)/);
      return true;
    });
    assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }, projectRoot()), /DATABASE_URL \(database\.url\).*postgres/);
  });

  it('refuses an unknown or bad key in a configuration file and names it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mft-cfg-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'links:\n  maxFileBytes: -5\n  colour: blue\n');
    assert.throws(() => loadConfig({ CONFIG_FILE: file }, projectRoot()), (err: Error) => {
      assert.match(err.message, /links\.maxFileBytes in .*bad\.yaml/);
      assert.match(err.message, /colour/);
      return true;
    });
  });

  it('refuses a first mail retry delay longer than the longest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mft-cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'mail:\n  retryBaseSeconds: 7200\n');
    assert.throws(() => loadConfig({ CONFIG_FILE: file }, projectRoot()), /mail\.retryBaseSeconds/);
  });
});
