import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TRAVERSAL_INSIDE as INSIDE } from '@mft/storage';
import { rawRequest, TestGateway } from '@mft/testing';
import { listing, share, writeTree } from './share-fixtures.js';
import { PAYLOADS, probeTraversal, SECRET } from './traversal-probe.js';

describe('share links against a traversal corpus: nothing escapes the shared folder', () => {
  let gw: TestGateway;
  let folderUrl: string;
  let fileUrl: string;
  let fileId: string;

  before(async () => {
    gw = await TestGateway.start();
    const token = await gw.token();
    const docs = writeTree(gw, 'docs', { 'ok.txt': 'harmless', 'sub/inner.txt': 'inner' });
    writeTree(gw, 'docs-private', { 'secret.txt': SECRET });
    writeTree(gw, 'send/keep', { 'copy.txt': SECRET });
    symlinkSync(join(docs, '..', 'docs-private', 'secret.txt'), join(docs, 'outside-link'));
    symlinkSync(join(docs, '..', 'docs-private'), join(docs, 'outside-dir'));
    // Out of the connection's root ($DATA_DIR/files) altogether.
    const outside = join(gw.dataDir, 'outside-root');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'secret.txt'), SECRET);
    symlinkSync(join(outside, 'secret.txt'), join(docs, 'outside-root'));
    symlinkSync(outside, join(docs, 'outside-root-dir'));
    ({ url: folderUrl } = await share(gw, token, { path: '/docs' }));
    ({ url: fileUrl } = await share(gw, token, { path: '/docs/ok.txt' }));
    const page = (await (await fetch(fileUrl, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string }> };
    fileId = page.files[0]!.id;
  });
  after(async () => {
    await gw?.stop();
  });

  it(`has at least 60 payloads (${PAYLOADS.length})`, () => {
    assert.ok(PAYLOADS.length >= 60);
  });

  it('the listing of a folder share leaves out symlinks that leave it', async () => {
    const page = await listing(folderUrl);
    assert.equal(page.status, 200);
    assert.deepEqual(
      page.body.entries.map((e) => e.name),
      ['ok.txt', 'sub'],
    );
  });

  it('no payload in ?path= of the listing, a download or an archive, nor in /files/, gets anything but 404, nor any byte of the secret', async () => {
    assert.deepEqual(await probeTraversal(folderUrl, fileUrl), []);
  });

  it('names that are harmless still resolve inside the share only', async () => {
    for (const [input] of INSIDE) {
      const res = await rawRequest(`${folderUrl}/download?path=${encodeURIComponent(input)}`, { headers: { accept: 'application/json' } });
      assert.ok(!res.body.includes(SECRET), input);
      assert.equal(res.status, 404, input);
    }
    const ok = await rawRequest(`${folderUrl}/download?path=/ok.txt`);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.toString(), 'harmless');
    const file = await rawRequest(`${fileUrl}/files/${fileId}`);
    assert.equal(file.body.toString(), 'harmless');
  });

  it('a query with the path twice, or as an object, is 404', async () => {
    for (const q of ['path=/ok.txt&path=/ok.txt', 'path[a]=/ok.txt', 'path[]=/ok.txt']) {
      const res = await rawRequest(`${folderUrl}/download?${q}`, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 404, q);
    }
  });
});
