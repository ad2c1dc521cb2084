import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rawRequest, sessionCookie, TestGateway } from '@mft/testing';
import { filesRoot, share, writeTree } from './share-fixtures.js';

describe('file share links over real HTTP', () => {
  let gw: TestGateway;
  let token: string;

  before(async () => {
    gw = await TestGateway.start();
    token = await gw.token();
  });
  after(async () => {
    await gw?.stop();
  });

  async function fileOf(url: string): Promise<{ id: string; name: string; size: number }> {
    const page = await fetch(url, { headers: { accept: 'application/json' } });
    assert.equal(page.status, 200);
    const body = (await page.json()) as { files: Array<{ id: string; name: string; size: number }> };
    assert.equal(body.files.length, 1);
    return body.files[0]!;
  }

  it('a file share serves the exact bytes of the file where it lives, whole and by Range', async () => {
    const content = randomBytes(300 * 1024 + 7);
    writeTree(gw, 'reports', { 'q3.bin': content });
    const { url, linkId } = await share(gw, token, { path: '/reports/q3.bin' });
    const file = await fileOf(url);
    assert.deepEqual({ name: file.name, size: file.size }, { name: 'q3.bin', size: content.length });

    const whole = await rawRequest(`${url}/files/${file.id}`);
    assert.equal(whole.status, 200);
    assert.ok(whole.body.equals(content), 'the whole file, byte for byte');
    assert.equal(whole.headers['content-length'], String(content.length));
    assert.match(String(whole.headers.etag), /^"/);

    const part = await rawRequest(`${url}/files/${file.id}`, { headers: { range: 'bytes=1000-2999' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 1000-2999/${content.length}`);
    assert.ok(part.body.equals(content.subarray(1000, 3000)));

    const suffix = await rawRequest(`${url}/files/${file.id}`, { headers: { range: 'bytes=-100' } });
    assert.equal(suffix.status, 206);
    assert.ok(suffix.body.equals(content.subarray(content.length - 100)));

    const api = (await (await fetch(`${gw.baseUrl}/api/v1/links/${linkId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as Record<string, unknown> & {
      share: { target: string; pinned: { size: number } };
    };
    assert.equal(api.kind, 'share');
    assert.equal(api.connectionId, 'default');
    assert.equal(api.path, '/reports/q3.bin');
    assert.equal(api.pinContent, true, 'file shares are pinned by default');
    assert.equal(api.share.target, 'file');
    assert.equal(api.share.pinned.size, content.length);
  });

  it('the page of a file share shows its name, size and modification time', async () => {
    writeTree(gw, 'page', { 'plan.txt': 'the plan' });
    const { url } = await share(gw, token, { path: 'page/plan.txt' });
    const html = await (await fetch(url)).text();
    assert.match(html, /plan\.txt/);
    assert.match(html, /8 bytes/);
    assert.match(html, /<time datetime="20/);
  });

  it('a pinned file that changed answers 409 share_content_changed, as JSON and as a page; a resumed Range after the change too', async () => {
    const content = randomBytes(64 * 1024);
    const dir = writeTree(gw, 'pinned', { 'contract.pdf': content });
    const { url } = await share(gw, token, { path: '/pinned/contract.pdf' });
    const file = await fileOf(url);
    const first = await rawRequest(`${url}/files/${file.id}`, { headers: { range: 'bytes=0-1023' } });
    assert.equal(first.status, 206);
    assert.ok(first.body.equals(content.subarray(0, 1024)));

    writeFileSync(join(dir, 'contract.pdf'), Buffer.concat([content.subarray(0, 1024), randomBytes(content.length - 1024)]));
    const resumed = await rawRequest(`${url}/files/${file.id}`, { headers: { range: `bytes=1024-${content.length - 1}`, accept: 'application/json' } });
    assert.equal(resumed.status, 409);
    assert.equal(JSON.parse(resumed.body.toString()).code, 'share_content_changed');
    assert.ok(!resumed.body.includes(content.subarray(2048, 2080)), 'no bytes of the file');

    const whole = await rawRequest(`${url}/files/${file.id}`, { headers: { accept: 'application/json' } });
    assert.equal(whole.status, 409);
    const page = await fetch(`${url}/files/${file.id}`);
    assert.equal(page.status, 409);
    const html = await page.text();
    assert.match(html, /<html/);
    assert.match(html, /changed since it was shared/);
  });

  it('an unpinned file share serves the file as it is now', async () => {
    const dir = writeTree(gw, 'unpinned', { 'live.txt': 'version one' });
    const { url } = await share(gw, token, { path: '/unpinned/live.txt', pinContent: false });
    const file = await fileOf(url);
    assert.equal((await rawRequest(`${url}/files/${file.id}`)).body.toString(), 'version one');
    writeFileSync(join(dir, 'live.txt'), 'version two, longer');
    const now = await rawRequest(`${url}/files/${file.id}`);
    assert.equal(now.status, 200);
    assert.equal(now.body.toString(), 'version two, longer');
  });

  it('a file that vanished answers 404 share_target_missing', async () => {
    const dir = writeTree(gw, 'vanish', { 'gone.txt': 'soon gone' });
    const { url } = await share(gw, token, { path: '/vanish/gone.txt' });
    const file = await fileOf(url);
    rmSync(join(dir, 'gone.txt'));
    const res = await rawRequest(`${url}/files/${file.id}`, { headers: { accept: 'application/json' } });
    assert.equal(res.status, 404);
    assert.equal(JSON.parse(res.body.toString()).code, 'share_target_missing');
    const page = await fetch(url);
    assert.equal(page.status, 404);
    assert.match(await page.text(), /no longer there/);
    assert.ok(filesRoot(gw));
  });

  it('a password-protected share lists and serves nothing until unlocked, then serves the file', async () => {
    writeTree(gw, 'locked', { 'secret-plan.txt': 'locked content' });
    const { url } = await share(gw, token, { path: '/locked/secret-plan.txt', password: 'correct horse battery staple' });
    const locked = (await (await fetch(url, { headers: { accept: 'application/json' } })).json()) as { locked: string[]; files: unknown[] };
    assert.deepEqual(locked.locked, ['password']);
    assert.deepEqual(locked.files, []);
    const unlocked = await fetch(url, { headers: { accept: 'application/json', 'x-link-password': 'correct horse battery staple' } });
    const body = (await unlocked.json()) as { files: Array<{ id: string }> };
    assert.equal(body.files.length, 1);
    const refused = await rawRequest(`${url}/files/${body.files[0]!.id}`, { headers: { accept: 'application/json' } });
    assert.equal(refused.status, 401);
    assert.ok(!refused.body.includes('locked content'));
    const wrong = await rawRequest(`${url}/files/${body.files[0]!.id}`, { headers: { 'x-link-password': 'wrong password here' } });
    assert.equal(wrong.status, 401);
    const ok = await rawRequest(`${url}/files/${body.files[0]!.id}`, { headers: { 'x-link-password': 'correct horse battery staple' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.toString(), 'locked content');
    assert.equal(typeof sessionCookie(ok), 'string');
  });
});
