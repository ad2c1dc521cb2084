import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { prepareDataDir } from './data-dir.js';

describe(prepareDataDir.name, () => {
  const base = mkdtempSync(join(tmpdir(), 'mft-datadir-'));
  after(() => rmSync(base, { recursive: true, force: true }));
  const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

  it('creates a missing folder 0700', () => {
    const dir = join(base, 'new', 'data');
    const report = prepareDataDir(dir);
    assert.equal(mode(dir), '700');
    assert.equal(report.tightened, 0);
  });

  it('tightens folders and files an older version left open, and never follows a symbolic link out of the folder', () => {
    const outside = join(base, 'outside.txt');
    writeFileSync(outside, 'not ours');
    chmodSync(outside, 0o644);
    const dir = join(base, 'old');
    mkdirSync(join(dir, 'db', 'base'), { recursive: true });
    writeFileSync(join(dir, 'db', 'base', '1259'), 'x');
    chmodSync(join(dir, 'db', 'base', '1259'), 0o666);
    chmodSync(join(dir, 'db', 'base'), 0o755);
    chmodSync(join(dir, 'db'), 0o777);
    chmodSync(dir, 0o755);
    symlinkSync(outside, join(dir, 'link'));
    const report = prepareDataDir(dir);
    assert.equal(report.tightened, 4);
    assert.deepEqual([dir, join(dir, 'db'), join(dir, 'db', 'base'), join(dir, 'db', 'base', '1259')].map(mode), ['700', '700', '700', '600']);
    assert.equal(mode(outside), '644');
    assert.equal(prepareDataDir(dir).tightened, 0);
  });

  it('walks again at the next start when an earlier walk did not finish (no marker), even though the folder itself is private', () => {
    const dir = join(base, 'cut');
    mkdirSync(join(dir, 'files'), { recursive: true, mode: 0o755 });
    chmodSync(join(dir, 'files'), 0o755);
    chmodSync(dir, 0o700);
    assert.equal(prepareDataDir(dir).tightened, 1);
    assert.equal(mode(join(dir, 'files')), '700');
  });
});
