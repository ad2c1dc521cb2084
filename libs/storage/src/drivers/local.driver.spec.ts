import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { StorageError, StorageNotFoundError, StoragePermissionError } from '../storage-driver.js';
import { StoragePath, StoragePathError } from '../storage-path.js';
import { INSIDE, REFUSED } from '../traversal-corpus.js';
import { LocalDriver } from './local.driver.js';

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) {
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString();
}

async function write(sut: LocalDriver, key: string, body: string): Promise<void> {
  const w = await sut.beginWrite(key, `stage-${key}`);
  w.stream.end(body);
  await new Promise((r) => w.stream.once('finish', r));
  await w.commit();
}

describe(`${LocalDriver.name} and symlinks`, () => {
  // root and root-private are siblings whose names share a prefix: a string-prefix check would mix them up.
  const base = mkdtempSync(join(tmpdir(), 'mft-symlinks-'));
  const root = join(base, 'root');
  const outside = join(base, 'root-private');
  mkdirSync(join(root, 'docs', 'sub'), { recursive: true });
  mkdirSync(join(outside, 'empty'), { recursive: true });
  writeFileSync(join(outside, 'secret.txt'), 'SECRET');
  writeFileSync(join(root, 'docs', 'sub', 'inside.txt'), 'inside');
  writeFileSync(join(root, '..dotted'), 'dotted');
  symlinkSync(join(outside, 'secret.txt'), join(root, 'docs', 'abs-link-out'));
  symlinkSync('../../root-private/secret.txt', join(root, 'docs', 'rel-link-out'));
  symlinkSync(outside, join(root, 'dir-link-out'));
  symlinkSync('sub/inside.txt', join(root, 'docs', 'link-in'));
  symlinkSync(join(root, 'docs', 'sub'), join(root, 'dir-link-in'));
  symlinkSync(join(root, 'docs', 'abs-link-out'), join(root, 'chain-out'));
  symlinkSync(join(base, 'nowhere'), join(root, 'dangling'));
  const sut = new LocalDriver(root);
  after(() => rmSync(base, { recursive: true, force: true }));

  it('refuses to read through a symlink that leaves the root, as if it were absent', async () => {
    for (const key of ['docs/abs-link-out', 'docs/rel-link-out', 'dir-link-out/secret.txt', 'chain-out', 'dangling']) {
      await assert.rejects(sut.openRead(key), StorageNotFoundError, key);
      await assert.rejects(sut.openRead(key, { start: 0, end: 2 }), StorageNotFoundError, key);
      await assert.rejects(sut.stat(key), StorageNotFoundError, key);
    }
  });

  it('follows a symlink whose target stays inside the root', async () => {
    assert.equal(await text(await sut.openRead('docs/link-in')), 'inside');
    assert.equal(await text(await sut.openRead(StoragePath.parse('/dir-link-in/inside.txt'))), 'inside');
    assert.equal((await sut.stat('docs/link-in')).size, 6);
  });

  it('reads a file whose name starts with two dots (containment compares segments)', async () => {
    assert.equal(await text(await sut.openRead('..dotted')), 'dotted');
  });

  it('never writes through a symlinked folder that leaves the root', async () => {
    const w = await sut.beginWrite('dir-link-out/planted.txt', 'stage-planted');
    w.stream.end('planted');
    await new Promise((r) => w.stream.once('finish', r));
    await assert.rejects(w.commit(), StoragePermissionError);
    await w.abort();
    assert.equal(existsSync(join(outside, 'planted.txt')), false);
    await assert.rejects(write(sut, 'dir-link-out/new/deeper.txt', 'x'), StoragePermissionError);
    assert.equal(existsSync(join(outside, 'new')), false);
  });

  it('never deletes through a symlinked folder that leaves the root; deleting a link removes only the link', async () => {
    await assert.rejects(sut.delete('dir-link-out/secret.txt'), StoragePermissionError);
    await assert.rejects(sut.removeEmptyFolder('dir-link-out/empty'), StoragePermissionError);
    assert.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), 'SECRET');
    assert.equal(existsSync(join(outside, 'empty')), true);
    await sut.delete('chain-out');
    assert.equal(existsSync(join(root, 'chain-out')), false);
    assert.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), 'SECRET');
  });

  it('keeps its staging area out of reach of keys', async () => {
    await assert.rejects(sut.beginWrite('.staging/x', 'stage-x'), StoragePermissionError);
    await sut.ping();
    await assert.rejects(sut.openRead('.staging/.ping'), StorageNotFoundError);
  });

  it('does not read a folder as a file', async () => {
    await assert.rejects(sut.openRead('docs/sub'), StorageNotFoundError);
  });
});

describe(`${LocalDriver.name} scoped to a shared folder`, () => {
  const base = mkdtempSync(join(tmpdir(), 'mft-scope-'));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(join(root, 'docs', 'sub'), { recursive: true });
  mkdirSync(join(root, 'docs-private'), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(root, 'docs', 'readme.txt'), 'readme');
  writeFileSync(join(root, 'docs-private', 'secret.txt'), 'PRIVATE');
  writeFileSync(join(outside, 'secret.txt'), 'SECRET');
  symlinkSync('../docs-private', join(root, 'docs', 'to-private'));
  symlinkSync('../docs-private/secret.txt', join(root, 'docs', 'to-private-file'));
  symlinkSync(outside, join(root, 'docs', 'to-outside'));
  symlinkSync('readme.txt', join(root, 'docs', 'inner-link'));
  symlinkSync(outside, join(root, 'escape'));
  const connection = new LocalDriver(root);
  const share = connection.scope(StoragePath.parse('/docs'));
  after(() => rmSync(base, { recursive: true, force: true }));

  const symlinkPayloads = ['to-private/secret.txt', 'to-private-file', 'to-outside/secret.txt', 'to-private', 'to-outside'];
  const payloads = [...REFUSED, ...INSIDE.map(([input]) => input), ...symlinkPayloads, '/docs-private/secret.txt', 'docs-private/secret.txt', 'secret.txt'];

  it(`lets none of ${payloads.length} traversal payloads out of the share of /docs`, async () => {
    const refused = (e: unknown): null => {
      assert.ok(e instanceof StorageError || e instanceof StoragePathError, String(e));
      return null;
    };
    for (const payload of payloads) {
      const keys: Array<string | StoragePath> = [payload];
      try {
        keys.push(StoragePath.root.join(payload));
      } catch (e) {
        refused(e);
      }
      for (const key of keys) {
        const body = await share.openRead(key).then(text, refused);
        assert.ok(body === null || body === 'readme', `${JSON.stringify(payload)} read ${body}`);
        const info = await share.stat(key).catch(refused);
        assert.ok(info === null || info.kind === 'file' || info.kind === 'folder');
        const page = await share.list(key).catch(refused);
        assert.ok(page === null || page.entries.every((e) => e.name !== 'secret.txt'), `${JSON.stringify(payload)} listed a secret`);
      }
    }
  });

  it('serves a symlink inside the share and leaves out the ones that point elsewhere, even inside the connection', async () => {
    assert.equal(await text(await share.openRead('inner-link')), 'readme');
    assert.deepEqual(
      (await share.list(StoragePath.root)).entries.map((e) => e.name),
      ['inner-link', 'readme.txt', 'sub'],
    );
    await assert.rejects(share.openRead('to-private-file'), StorageNotFoundError);
    // The connection itself may follow the same link: it stays inside its own root.
    assert.equal(await text(await connection.openRead('docs/to-private-file')), 'PRIVATE');
  });

  it('refuses everything under a shared folder that is itself a symlink out of the root', async () => {
    const escaped = connection.scope('escape');
    await assert.rejects(escaped.openRead('secret.txt'), StorageNotFoundError);
    await assert.rejects(escaped.list(StoragePath.root), StorageNotFoundError);
    await assert.rejects(escaped.stat(StoragePath.root), StorageNotFoundError);
    assert.throws(() => connection.scope('.staging'), StoragePermissionError);
  });
});
