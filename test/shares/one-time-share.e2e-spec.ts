import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventuallyStatus, rawRequest, sessionCookie, TestGateway } from '@mft/testing';
import { share, writeTree } from './share-fixtures.js';

describe('one-time folder shares: one claimer, consumed once everything was delivered', () => {
  let gw: TestGateway;
  let token: string;

  before(async () => {
    gw = await TestGateway.start();
    token = await gw.token();
  });
  after(async () => {
    await gw?.stop();
  });

  async function grantOf(linkId: string): Promise<{ status: string; downloads: number }> {
    const link = (await (await fetch(`${gw.baseUrl}/api/v1/links/${linkId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      grants: Array<{ status: string; downloads: number }>;
    };
    return { status: link.grants[0]!.status, downloads: link.grants[0]!.downloads };
  }

  it('20 sessions race for the first file: exactly one claims; the others get 409 until every file was delivered to it, then 410', async () => {
    const files = { 'a.bin': randomBytes(100_000), 'sub/b.bin': randomBytes(50_000), 'c.txt': Buffer.from('last') };
    writeTree(gw, 'race-files', files);
    const { url, linkId } = await share(gw, token, { path: '/race-files', oneTime: true });
    const views = await Promise.all(Array.from({ length: 5 }, () => fetch(url, { headers: { accept: 'application/json' } })));
    assert.ok(views.every((v) => v.status === 200), 'views consume nothing');

    const results = await Promise.all(Array.from({ length: 20 }, () => rawRequest(`${url}/download?path=/a.bin`)));
    const winners = results.filter((r) => r.status === 200);
    assert.equal(winners.length, 1, `statuses: ${results.map((r) => r.status).join(',')}`);
    assert.ok(winners[0]!.body.equals(files['a.bin']));
    assert.deepEqual([...new Set(results.filter((r) => r.status !== 200).map((r) => r.status))], [409]);
    const cookie = sessionCookie(winners[0]!);
    assert.equal((await grantOf(linkId)).status, 'downloading');

    const b = await rawRequest(`${url}/download?path=/sub/b.bin`, { headers: { cookie } });
    assert.equal(b.status, 200);
    assert.ok(b.body.equals(files['sub/b.bin']));
    assert.equal((await rawRequest(`${url}/download?path=/c.txt`)).status, 409, 'another session, while the claim is live');
    assert.equal((await grantOf(linkId)).status, 'downloading', 'not consumed while a file is left');

    // Resumed by Range, in two parts: consumed once every byte of the last file was delivered.
    assert.equal((await rawRequest(`${url}/download?path=/c.txt`, { headers: { cookie, range: 'bytes=0-1' } })).status, 206);
    assert.equal((await grantOf(linkId)).status, 'downloading');
    const rest = await rawRequest(`${url}/download?path=/c.txt`, { headers: { cookie, range: 'bytes=2-' } });
    assert.equal(rest.status, 206);
    assert.equal(rest.body.toString(), 'st');
    assert.equal((await eventuallyStatus(`${url}/download?path=/a.bin`, 410)).status, 410);
    assert.deepEqual(await grantOf(linkId), { status: 'consumed', downloads: 1 });
    assert.equal((await rawRequest(`${url}/archive`, { headers: { cookie } })).status, 410);
    assert.equal((await fetch(url)).status, 410);
  });

  it('20 sessions race for the archive of the whole folder: exactly one gets it, and it consumes the share', async () => {
    writeTree(gw, 'race-archive', { 'x.bin': randomBytes(300_000), 'y/z.txt': 'zed' });
    const { url, linkId } = await share(gw, token, { path: '/race-archive', oneTime: true });
    const results = await Promise.all(Array.from({ length: 20 }, () => rawRequest(`${url}/archive`)));
    const winners = results.filter((r) => r.status === 200);
    assert.equal(winners.length, 1, `statuses: ${results.map((r) => r.status).join(',')}`);
    for (const r of results.filter((x) => x.status !== 200)) {
      assert.ok(r.status === 409 || r.status === 410, `a loser got ${r.status}`);
    }
    assert.equal(winners[0]!.body.readUInt32LE(0), 0x04034b50, 'a zip');
    assert.equal((await eventuallyStatus(`${url}/archive`, 410)).status, 410);
    assert.deepEqual(await grantOf(linkId), { status: 'consumed', downloads: 1 });
    assert.equal((await rawRequest(`${url}/download?path=/x.bin`, { headers: { cookie: sessionCookie(winners[0]!) } })).status, 410);
  });

  it('the archive of a subfolder alone does not consume a one-time folder share', async () => {
    writeTree(gw, 'partial', { 'top.txt': 'top', 'sub/one.txt': 'one' });
    const { url, linkId } = await share(gw, token, { path: '/partial', oneTime: true });
    const sub = await rawRequest(`${url}/archive?path=/sub`);
    assert.equal(sub.status, 200);
    assert.equal((await grantOf(linkId)).status, 'downloading');
    const top = await rawRequest(`${url}/download?path=/top.txt`, { headers: { cookie: sessionCookie(sub) } });
    assert.equal(top.status, 200);
    assert.equal((await eventuallyStatus(url, 410)).status, 410, 'the subfolder and the last file together are everything');
  });
});
