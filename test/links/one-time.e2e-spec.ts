import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createSendLink, eventuallyStatus, rawRequest, sessionCookie, TestGateway } from '@mft/testing';

describe('one-time send links over real HTTP', () => {
  let gw: TestGateway;
  let token: string;

  before(async () => {
    gw = await TestGateway.start();
    token = await gw.token();
  });
  after(async () => {
    await gw?.stop();
  });

  async function oneTimeLink(content: Buffer): Promise<{ url: string; fileId: string; linkId: string }> {
    const created = await createSendLink(gw.baseUrl, token, [{ name: 'report.bin', content }], { oneTime: 'true' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const url = created.body.grants[0]!.url;
    const meta = (await (await fetch(url, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string }> };
    return { url, fileId: meta.files[0]!.id, linkId: created.body.id };
  }

  it('50 concurrent downloads of a fresh one-time grant: exactly one gets the file, the rest 409 or 410', async () => {
    const content = randomBytes(256 * 1024);
    const { url, fileId } = await oneTimeLink(content);
    const results = await Promise.all(Array.from({ length: 50 }, () => rawRequest(`${url}/files/${fileId}`)));
    const winners = results.filter((r) => r.status === 200);
    assert.equal(winners.length, 1, `statuses: ${results.map((r) => r.status).join(',')}`);
    assert.ok(winners[0]!.body.equals(content), 'the winner receives the exact bytes');
    for (const r of results.filter((x) => x.status !== 200)) {
      assert.ok(r.status === 409 || r.status === 410, `a loser got ${r.status}`);
    }
    assert.equal((await eventuallyStatus(`${url}/files/${fileId}`, 410)).status, 410);
  });

  it('20 landing-page GETs, HEADs and a prefetch consume nothing: the download then succeeds', async () => {
    const content = randomBytes(64 * 1024);
    const { url, fileId } = await oneTimeLink(content);
    for (let i = 0; i < 20; i++) {
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /report\.bin/);
    }
    for (let i = 0; i < 5; i++) {
      assert.equal((await fetch(url, { method: 'HEAD' })).status, 200);
      assert.equal((await fetch(`${url}/files/${fileId}`, { method: 'HEAD' })).status, 200);
    }
    const prefetch = await fetch(`${url}/files/${fileId}`, { headers: { 'sec-purpose': 'prefetch' } });
    assert.equal(prefetch.status, 503, 'a prefetch of the file is refused, to be retried for real');
    assert.equal(prefetch.headers.get('retry-after'), '0');
    const prerender = await fetch(url, { headers: { 'sec-purpose': 'prefetch;prerender' } });
    assert.equal(prerender.status, 200, 'a prerendered page is served, and consumes nothing');
    assert.match(await prerender.text(), /report\.bin/);
    const download = await rawRequest(`${url}/files/${fileId}`);
    assert.equal(download.status, 200);
    assert.ok(download.body.equals(content));
    assert.equal((await eventuallyStatus(`${url}/files/${fileId}`, 410)).status, 410);
  });

  it('a HEAD of a file or of the archive answers the headers and consumes nothing: another session then downloads the archive', async () => {
    const created = await createSendLink(gw.baseUrl, token, [{ name: 'a.txt', content: 'first' }, { name: 'b.txt', content: 'second' }], { oneTime: 'true' });
    assert.equal(created.status, 201);
    const url = created.body.grants[0]!.url;
    const meta = (await (await fetch(url, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string }> };
    for (let i = 0; i < 3; i += 1) {
      const archive = await fetch(`${url}/archive`, { method: 'HEAD' });
      assert.equal(archive.status, 200);
      assert.equal(archive.headers.get('content-type'), 'application/zip');
      assert.equal((await fetch(`${url}/files/${meta.files[0]!.id}`, { method: 'HEAD' })).status, 200);
    }
    const link = (await (await fetch(`${gw.baseUrl}/api/v1/links/${created.body.id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      grants: Array<{ status: string; downloads: number }>;
    };
    assert.deepEqual({ status: link.grants[0]!.status, downloads: link.grants[0]!.downloads }, { status: 'opened', downloads: 0 });
    const got = await rawRequest(`${url}/archive`);
    assert.equal(got.status, 200);
    assert.equal(got.headers['content-type'], 'application/zip');
    assert.equal((await eventuallyStatus(`${url}/archive`, 410)).status, 410);
  });

  it('the claimer resumes an interrupted download with Range; others get 409 meanwhile, then the grant is consumed', async () => {
    // Large enough that the kernel's socket buffers cannot hold the unread rest of the response.
    const content = randomBytes(48 * 1024 * 1024);
    const { url, fileId } = await oneTimeLink(content);
    const first = await rawRequest(`${url}/files/${fileId}`, { abortAfter: 4 * 1024 * 1024 });
    assert.equal(first.status, 200);
    const cookie = sessionCookie(first);
    assert.match(cookie, /mft_rs=/);
    await new Promise((r) => setTimeout(r, 300));

    const intruder = await rawRequest(`${url}/files/${fileId}`);
    assert.equal(intruder.status, 409);

    const have = first.body.length;
    const rest = await rawRequest(`${url}/files/${fileId}`, { headers: { cookie, range: `bytes=${have}-` } });
    assert.equal(rest.status, 206);
    assert.equal(rest.headers['content-range'], `bytes ${have}-${content.length - 1}/${content.length}`);
    const whole = Buffer.concat([first.body, rest.body]);
    assert.ok(whole.equals(content), 'the resumed bytes are identical');

    const again = await eventuallyStatus(`${url}/files/${fileId}`, 410, { headers: { cookie } });
    assert.equal(again.status, 410, 'consumed once every byte was delivered');
    const json = await fetch(url, { headers: { accept: 'application/json' } });
    assert.equal(json.status, 410);
    assert.equal(((await json.json()) as { code: string }).code, 'grant_consumed');
  });
});
