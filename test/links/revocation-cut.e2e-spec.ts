import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createSendLink, eventually, TestGateway } from '@mft/testing';

const MiB = 1024 * 1024;
// Large enough that the sockets' buffers cannot hold the whole file while the client is not reading.
const SIZE = 48 * MiB;

interface AuditEventJson {
  type: string;
  outcome: string;
  grantId: string | null;
  fileId: string | null;
  bytes: number | null;
  details: Record<string, unknown>;
}

/** A download whose body the client does not read until told to: the transfer stalls on backpressure. */
function slowDownload(url: string): Promise<{ res: IncomingMessage; drain: () => Promise<{ bytes: number; complete: boolean }> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      res.pause();
      resolve({
        res,
        drain: () =>
          new Promise((done) => {
            let bytes = 0;
            res.on('data', (c: Buffer) => (bytes += c.length));
            const finish = (): void => done({ bytes, complete: res.complete });
            res.on('end', finish);
            res.on('error', finish);
            res.on('close', finish);
            res.resume();
          }),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a running download ends once its grant may no longer be downloaded', () => {
  let gw: TestGateway;
  let token: string;

  before(async () => {
    gw = await TestGateway.start({ env: { DOWNLOAD_HEARTBEAT_SECONDS: '1' } });
    token = await gw.token();
  });
  after(async () => {
    await gw?.stop();
  });

  const auth = (): Record<string, string> => ({ authorization: `Bearer ${token}` });

  async function create(fields: Record<string, string>): Promise<{ id: string; fileUrl: string; fileId: string; grantId: string }> {
    const created = await createSendLink(gw.baseUrl, token, [{ name: 'big.bin', content: randomBytes(SIZE) }], fields);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const link = (await (await fetch(`${gw.baseUrl}/api/v1/links/${created.body.id}`, { headers: auth() })).json()) as { files: Array<{ id: string }>; grants: Array<{ id: string }> };
    return { id: created.body.id, fileId: link.files[0]!.id, grantId: link.grants[0]!.id, fileUrl: `${created.body.grants[0]!.url}/files/${link.files[0]!.id}` };
  }

  async function cutEvents(linkId: string): Promise<AuditEventJson[]> {
    const res = await fetch(`${gw.baseUrl}/api/v1/audit/events?linkId=${linkId}&format=json`, { headers: auth() });
    assert.equal(res.status, 200);
    return ((await res.json()) as AuditEventJson[]).filter((e) => e.type === 'download.cut' || e.type === 'download.interrupted');
  }

  async function assertCut(link: { id: string; fileId: string; grantId: string }, download: { drain: () => Promise<{ bytes: number; complete: boolean }> }, reason: string): Promise<void> {
    const got = await download.drain();
    assert.equal(got.complete, false, 'the response ended before its last byte');
    assert.ok(got.bytes < SIZE, `fewer bytes than the file arrived (${got.bytes} of ${SIZE})`);
    const events = await eventually('the audit of the cut', () => cutEvents(link.id), (e) => e.some((x) => x.type === 'download.interrupted'));
    const cut = events.filter((e) => e.type === 'download.cut');
    assert.equal(cut.length, 1, JSON.stringify(events));
    assert.deepEqual(
      { outcome: cut[0]!.outcome, grantId: cut[0]!.grantId, fileId: cut[0]!.fileId, reason: cut[0]!.details.reason },
      { outcome: 'denied', grantId: link.grantId, fileId: link.fileId, reason },
    );
    const interrupted = events.find((e) => e.type === 'download.interrupted')!;
    assert.ok((interrupted.bytes ?? SIZE) < SIZE, 'the interrupted transfer records the bytes it delivered, not the file');
  }

  for (const [kind, fields] of [
    ['one-time', { oneTime: 'true' }],
    ['unlimited', { oneTime: 'false', maxDownloads: 'unlimited' }],
  ] as const) {
    it(`revoking a ${kind} link cuts a download already under way; the audit says download.cut, reason revoked`, async () => {
      const link = await create(fields);
      const download = await slowDownload(link.fileUrl);
      assert.equal(download.res.statusCode, 200);
      const revoked = await fetch(`${gw.baseUrl}/api/v1/links/${link.id}`, { method: 'DELETE', headers: auth() });
      assert.equal(revoked.status, 204);
      // A few heartbeats (1 s each) while the client reads nothing.
      await new Promise((r) => setTimeout(r, 3000));
      await assertCut(link, download, 'revoked');
    });
  }

  it('the sender\'s reset cuts a one-time download under way; reason reset', async () => {
    const link = await create({ oneTime: 'true' });
    const download = await slowDownload(link.fileUrl);
    assert.equal(download.res.statusCode, 200);
    const reset = await fetch(`${gw.baseUrl}/api/v1/links/${link.id}/grants/${link.grantId}/reset`, { method: 'POST', headers: auth() });
    assert.equal(reset.status, 200);
    await new Promise((r) => setTimeout(r, 3000));
    await assertCut(link, download, 'reset');
  });

  it('a download under way when its link expires is cut; reason expired', async () => {
    const expiresAt = new Date(Date.now() + 10_000);
    const link = await create({ oneTime: 'false', expiresAt: expiresAt.toISOString() });
    const download = await slowDownload(link.fileUrl);
    assert.equal(download.res.statusCode, 200);
    await new Promise((r) => setTimeout(r, expiresAt.getTime() - Date.now() + 3000));
    await assertCut(link, download, 'expired');
  });
});
