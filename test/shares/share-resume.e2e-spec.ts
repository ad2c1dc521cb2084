import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { curl, rawRequest, TestGateway } from '@mft/testing';
import { share, writeTree } from './share-fixtures.js';

const MiB = 1024 * 1024;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A download cut off after its first `bytes` bytes, as a lost connection leaves it: the head of the file, from byte 0, in `out`. */
async function cutOff(url: string, out: string, bytes: number): Promise<number> {
  const head = await curl(['-r', `0-${bytes - 1}`, '-o', out, url]);
  assert.equal(head.http, '206', head.out);
  return bytes;
}

/** Rewrites a file with other bytes of the same size, and moves its mtime on: another version. */
function replace(file: string, content: Buffer): void {
  writeFileSync(file, content);
  const later = new Date(Date.now() + 10_000);
  utimesSync(file, later, later);
}

/**
 * A folder share serves its files as they are now; a download resumed without If-Range (curl -C -)
 * must still never join the head of one version to the tail of another.
 */
describe('resuming a download of a folder share after its file changed', () => {
  let gw: TestGateway;
  let token: string;
  let dir: string;

  before(async () => {
    gw = await TestGateway.start();
    token = await gw.token();
    dir = mkdtempSync(join(tmpdir(), 'mft-share-resume-'));
  });
  after(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('curl -C - of a file that changed in between gets 409 share_content_changed and no byte; a new download, interrupted and resumed, gets the new version whole', async () => {
    const v1 = randomBytes(6 * MiB);
    const v2 = randomBytes(6 * MiB);
    const folder = writeTree(gw, 'live', { 'big.bin': v1 });
    const { url } = await share(gw, token, { path: '/live' });
    const download = `${url}/download?path=/big.bin`;
    assert.match(await (await fetch(url)).text(), /An interrupted download of a file or of a zip archive can be resumed by your browser or download manager\./, 'the page says archives resume too');
    const out = join(dir, 'big.bin');

    const had = await cutOff(download, out, MiB);
    assert.ok(had < v1.length);
    replace(join(folder, 'big.bin'), v2);

    const resumed = await curl(['-f', '-C', '-', '-o', out, download]);
    assert.equal(resumed.http, '409', resumed.out);
    assert.ok(readFileSync(out).equals(v1.subarray(0, had)), 'not one byte of the new version was appended');
    const refused = await rawRequest(download, { headers: { range: `bytes=${had}-`, accept: 'application/json' } });
    assert.equal(refused.status, 409);
    assert.deepEqual(JSON.parse(refused.body.toString()), {
      code: 'share_content_changed',
      message: 'This file changed since your download started; download it again.',
    });
    const page = await fetch(download, { headers: { range: `bytes=${had}-` } });
    assert.equal(page.status, 409);
    assert.match(await page.text(), /This file changed since your download started; download it again\./);

    // Validated with If-Range, a range of the current version is served as such.
    const etag = (await fetch(download, { method: 'HEAD' })).headers.get('etag')!;
    const validated = await rawRequest(download, { headers: { range: 'bytes=100-199', 'if-range': etag } });
    assert.equal(validated.status, 206);
    assert.ok(validated.body.equals(v2.subarray(100, 200)));

    // Downloaded again: a fresh start records the new version, and its resume is served.
    rmSync(out);
    const again = await cutOff(download, out, MiB);
    assert.ok(again < v2.length);
    const rest = await curl(['-C', '-', '-o', out, download]);
    assert.equal(rest.http, '206', rest.out);
    assert.equal(sha256(readFileSync(out)), sha256(v2), 'the new version, whole');
  });

  it('curl -C - of a folder archive after one of its files changed gets 409, never a mixed archive', async () => {
    const folder = writeTree(gw, 'live-archive', { 'one.bin': randomBytes(4 * MiB), 'two.bin': randomBytes(4 * MiB) });
    const { url } = await share(gw, token, { path: '/live-archive' });
    const archive = `${url}/archive`;
    const out = join(dir, 'live.zip');
    const had = await cutOff(archive, out, MiB);
    replace(join(folder, 'two.bin'), randomBytes(4 * MiB));

    const resumed = await curl(['-f', '-C', '-', '-o', out, archive]);
    assert.equal(resumed.http, '409', resumed.out);
    assert.equal(readFileSync(out).length, had, 'nothing appended');
    const refused = await rawRequest(archive, { headers: { range: `bytes=${had}-`, accept: 'application/json' } });
    assert.equal(refused.status, 409);
    assert.deepEqual(JSON.parse(refused.body.toString()), {
      code: 'share_content_changed',
      message: 'A file in this folder changed since your download of its archive started; download the archive again.',
    });
  });
});
