import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rawRequest, TestGateway } from '@mft/testing';
import { listing, share, writeTree } from './share-fixtures.js';

describe('folder share links over real HTTP', () => {
  let gw: TestGateway;
  let token: string;
  let url: string;
  const big = randomBytes(200 * 1024 + 3);
  const nested = randomBytes(5000);

  before(async () => {
    gw = await TestGateway.start();
    token = await gw.token();
    const dir = writeTree(gw, 'projects', {
      'a.txt': 'alpha',
      'b.bin': big,
      'c.md': '# notes',
      'd.csv': 'x,y\n1,2\n',
      'sub/inner.bin': nested,
      'sub/deeper/leaf.txt': 'leaf',
      'empty-ish/.keep': '',
    });
    writeTree(gw, 'outside', { 'secret.txt': 'TOP-SECRET-OUTSIDE' });
    symlinkSync(join(dir, '..', 'outside', 'secret.txt'), join(dir, 'escape.txt'));
    symlinkSync(join(dir, 'a.txt'), join(dir, 'alias.txt'));
    ({ url } = await share(gw, token, { path: '/projects' }));
  });
  after(async () => {
    await gw?.stop();
  });

  it('lists the shared folder a page at a time, sorted, with subfolders; a symlink out of the share is absent', async () => {
    const all: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await listing(url, { limit: '3', ...(cursor ? { cursor } : {}) });
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.equal(page.body.path, '/');
      assert.deepEqual(page.body.locked, []);
      assert.ok(page.body.entries.length <= 3);
      all.push(...page.body.entries.map((e) => `${e.kind}:${e.path}`));
      cursor = page.body.next;
      pages++;
    } while (cursor);
    assert.ok(pages >= 3, `paged (${pages} pages)`);
    assert.deepEqual(all, ['file:/a.txt', 'file:/alias.txt', 'file:/b.bin', 'file:/c.md', 'file:/d.csv', 'folder:/empty-ish', 'folder:/sub']);
    const first = await listing(url);
    const b = first.body.entries.find((e) => e.name === 'b.bin')!;
    assert.equal(b.size, big.length);
    assert.ok(!Number.isNaN(Date.parse(b.modifiedAt)));

    const sub = await listing(url, { path: '/sub' });
    assert.equal(sub.status, 200);
    assert.equal(sub.body.path, '/sub');
    assert.deepEqual(
      sub.body.entries.map((e) => [e.name, e.path, e.kind]),
      [
        ['deeper', '/sub/deeper', 'folder'],
        ['inner.bin', '/sub/inner.bin', 'file'],
      ],
    );
    assert.equal((await listing(url, { path: '/sub/deeper' })).body.entries[0]!.path, '/sub/deeper/leaf.txt');
  });

  it('the page shows names, sizes, modified times, breadcrumbs and paging without JavaScript', async () => {
    const html = await (await fetch(`${url}?path=${encodeURIComponent('/sub/deeper')}`)).text();
    assert.match(html, /<nav class="breadcrumbs"/);
    assert.match(html, /href="\/l\/[^"]+\?path=%2Fsub"/, 'a breadcrumb back up to /sub');
    assert.match(html, /leaf\.txt/);
    assert.match(html, /href="\/l\/[^"]+\/download\?path=%2Fsub%2Fdeeper%2Fleaf\.txt"/);
    assert.match(html, /<time datetime="20/);
    assert.doesNotMatch(html, /<script/);
    const paged = await (await fetch(`${url}?limit=2`)).text();
    const next = /href="([^"]+)" rel="next"/.exec(paged);
    assert.ok(next, 'a next-page link');
    const second = await fetch(new URL(next[1]!.replace(/&amp;/g, '&'), url));
    assert.equal(second.status, 200);
    assert.match(await second.text(), /b\.bin/);
  });

  it('downloads one file of the folder, whole and by Range, and a symlink inside the share', async () => {
    const whole = await rawRequest(`${url}/download?path=${encodeURIComponent('/b.bin')}`);
    assert.equal(whole.status, 200);
    assert.ok(whole.body.equals(big));
    const part = await rawRequest(`${url}/download?path=${encodeURIComponent('/sub/inner.bin')}`, { headers: { range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 100-199/${nested.length}`);
    assert.ok(part.body.equals(nested.subarray(100, 200)));
    const alias = await rawRequest(`${url}/download?path=/alias.txt`);
    assert.equal(alias.status, 200);
    assert.equal(alias.body.toString(), 'alpha');
    const head = await fetch(`${url}/download?path=/a.txt`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), '5');
  });

  it('a symlink out of the share, a folder and a missing file are 404 and serve nothing', async () => {
    for (const path of ['/escape.txt', '/sub', '/nope.txt', '/sub/nope']) {
      const res = await rawRequest(`${url}/download?path=${encodeURIComponent(path)}`, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 404, path);
      assert.ok(!res.body.includes('TOP-SECRET'), path);
    }
  });

  it('the archive of the folder is a zip that unzip tests clean, with the exact bytes of each file, and without the symlink out of the share', async () => {
    const res = await rawRequest(`${url}/archive`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/zip');
    const dir = mkdtempSync(join(tmpdir(), 'share-zip-'));
    try {
      writeFileSync(join(dir, 'all.zip'), res.body);
      execFileSync('unzip', ['-tq', join(dir, 'all.zip')]);
      const names = execFileSync('zipinfo', ['-1', join(dir, 'all.zip')]).toString().trim().split('\n').sort();
      assert.deepEqual(names, ['a.txt', 'alias.txt', 'b.bin', 'c.md', 'd.csv', 'empty-ish/.keep', 'sub/deeper/leaf.txt', 'sub/inner.bin']);
      execFileSync('unzip', ['-q', join(dir, 'all.zip'), '-d', join(dir, 'out')]);
      assert.ok(readFileSync(join(dir, 'out', 'b.bin')).equals(big));
      assert.ok(readFileSync(join(dir, 'out', 'sub', 'inner.bin')).equals(nested));
      assert.ok(!res.body.includes('TOP-SECRET'));

      const sub = await rawRequest(`${url}/archive?path=/sub`);
      assert.equal(sub.status, 200);
      writeFileSync(join(dir, 'sub.zip'), sub.body);
      execFileSync('unzip', ['-tq', join(dir, 'sub.zip')]);
      assert.deepEqual(execFileSync('zipinfo', ['-1', join(dir, 'sub.zip')]).toString().trim().split('\n').sort(), ['deeper/leaf.txt', 'inner.bin']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a shared folder that vanished answers 404 share_target_missing', async () => {
    const dir = writeTree(gw, 'temporary', { 'x.txt': 'x' });
    const { url: gone } = await share(gw, token, { path: '/temporary' });
    rmSync(dir, { recursive: true });
    const page = await listing(gone);
    assert.equal(page.status, 404);
    assert.equal(page.body.code, 'share_target_missing');
    const archive = await rawRequest(`${gone}/archive`, { headers: { accept: 'application/json' } });
    assert.equal(archive.status, 404);
    assert.equal(JSON.parse(archive.body.toString()).code, 'share_target_missing');
  });

  it('a file of a folder share changed between two Range requests: If-Range with the old version gets the whole new file, never a mix', async () => {
    const dir = writeTree(gw, 'moving', { 'm.bin': randomBytes(4096) });
    const { url: moving } = await share(gw, token, { path: '/moving' });
    const first = await rawRequest(`${moving}/download?path=/m.bin`, { headers: { range: 'bytes=0-99' } });
    assert.equal(first.status, 206);
    const etag = String(first.headers.etag);
    writeFileSync(join(dir, 'm.bin'), randomBytes(4096));
    const resumed = await rawRequest(`${moving}/download?path=/m.bin`, { headers: { range: 'bytes=100-', 'if-range': etag } });
    assert.equal(resumed.status, 200, 'If-Range with the old version: the whole new file, never a mix');
    assert.notEqual(String(resumed.headers.etag), etag);
  });
});
