import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LocalDriver } from './drivers/local.driver.js';
import { resolveInside } from './path-containment.js';
import { StorageNotFoundError, StoragePermissionError } from './storage-driver.js';

describe(resolveInside.name, () => {
  const root = '/srv/storage';
  it('resolves a plain relative key inside the root', () => {
    assert.equal(resolveInside(root, 'send/a/b'), '/srv/storage/send/a/b');
  });
  const attacks = [
    '../etc/passwd',
    'a/../../etc/passwd',
    '/etc/passwd',
    'a/./b',
    'a//b',
    '..',
    '.',
    '',
    'a\\..\\..\\b',
    '%2e%2e/etc',
    'a%2fb',
    'a%5c..',
    'a\0b',
    'x/'.repeat(3000),
  ];
  for (const key of attacks) {
    it(`refuses ${JSON.stringify(key.slice(0, 40))}`, () => {
      assert.throws(() => resolveInside(root, key), StoragePermissionError);
    });
  }
});

describe(LocalDriver.name, () => {
  const base = mkdtempSync(join(tmpdir(), 'mft-local-'));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(root, { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  symlinkSync(join(outside, 'secret.txt'), join(root, 'link-to-secret'));
  symlinkSync(outside, join(root, 'dir-link'));
  const sut = new LocalDriver(root);
  after(() => rmSync(base, { recursive: true, force: true }));

  it('refuses to read through a symlink that leaves the root, at access time', async () => {
    await assert.rejects(sut.openRead('link-to-secret'), StorageNotFoundError);
    await assert.rejects(sut.openRead('dir-link/secret.txt'), StorageNotFoundError);
  });

  it('makes a staged write visible only after commit, and abort leaves nothing', async () => {
    const w = await sut.beginWrite('send/x/file', 'stage-1');
    w.stream.end('hello');
    await new Promise((r) => w.stream.once('finish', r));
    await assert.rejects(sut.stat('send/x/file'), StorageNotFoundError);
    await w.commit();
    assert.equal((await sut.stat('send/x/file')).size, 5);
    const aborted = await sut.beginWrite('send/x/other', 'stage-2');
    aborted.stream.write('partial');
    await aborted.abort();
    await assert.rejects(sut.stat('send/x/other'), StorageNotFoundError);
  });

  it('reads an inclusive byte range', async () => {
    const w = await sut.beginWrite('send/r/file', 'stage-3');
    w.stream.end('0123456789');
    await new Promise((r) => w.stream.once('finish', r));
    await w.commit();
    const chunks: Buffer[] = [];
    for await (const c of await sut.openRead('send/r/file', { start: 2, end: 5 })) {
      chunks.push(c as Buffer);
    }
    assert.equal(Buffer.concat(chunks).toString(), '2345');
  });

  it('deleting what is not there succeeds', async () => {
    await sut.delete('send/none/none');
  });
});
