import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSendLink, eventually, eventuallyStatus, rawRequest, TestGateway } from '@mft/testing';
import { filesRoot, share, writeTree } from './share-fixtures.js';

describe('share links are never purged: the shared files survive revocation, expiry and consumption', () => {
  let gw: TestGateway;
  let token: string;

  before(async () => {
    gw = await TestGateway.start({ env: { JOBS_INTERVAL_SECONDS: '0.5' } });
    token = await gw.token();
  });
  after(async () => {
    await gw?.stop();
  });

  const api = async (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${gw.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });

  /** A send link ended at the same moment: once its copies are purged, the sweep has run past the shares. */
  async function sendLinkPurged(end: (id: string) => Promise<void>): Promise<void> {
    const send = await createSendLink(gw.baseUrl, token, [{ name: 'copy.bin', content: randomBytes(1000) }]);
    assert.equal(send.status, 201);
    await end(send.body.id);
    await eventually(
      'the send link purged',
      async () => ((await (await api(`/api/v1/links/${send.body.id}`)).json()) as { purgedAt: string | null }).purgedAt,
      (v) => v !== null,
    );
    assert.ok(!existsSync(join(filesRoot(gw), 'send', send.body.id)), 'the send copies are gone');
  }

  it('revoked, expired and consumed file and folder shares leave every shared byte where it was', async () => {
    const fileContent = randomBytes(20_000);
    const folderContent = randomBytes(30_000);
    const dir = writeTree(gw, 'keep', { 'revoked.bin': fileContent, 'expiring.bin': fileContent, 'consumed.bin': fileContent, 'folder/f.bin': folderContent });

    const revoked = await share(gw, token, { path: '/keep/revoked.bin' });
    const revokedFolder = await share(gw, token, { path: '/keep/folder' });
    const expiring = await share(gw, token, { path: '/keep/expiring.bin', expiresAt: new Date(Date.now() + 2500).toISOString() });
    const consumed = await share(gw, token, { path: '/keep/consumed.bin', oneTime: true });
    const consumedFolder = await share(gw, token, { path: '/keep/folder', oneTime: true });

    const page = (await (await fetch(consumed.url, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string }> };
    assert.equal((await rawRequest(`${consumed.url}/files/${page.files[0]!.id}`)).status, 200);
    assert.equal((await rawRequest(`${consumedFolder.url}/archive`)).status, 200);
    await eventuallyStatus(consumed.url, 410);
    await eventuallyStatus(consumedFolder.url, 410);
    for (const l of [revoked, revokedFolder]) {
      assert.equal((await api(`/api/v1/links/${l.linkId}`, { method: 'DELETE' })).status, 204);
    }
    await eventuallyStatus(expiring.url, 410, {}, 10_000);

    await sendLinkPurged(async (id) => {
      assert.equal((await api(`/api/v1/links/${id}`, { method: 'DELETE' })).status, 204);
    });
    // And one more full sweep after the expiry was recorded.
    await new Promise((r) => setTimeout(r, 1500));

    for (const name of ['revoked.bin', 'expiring.bin', 'consumed.bin']) {
      assert.ok(readFileSync(join(dir, name)).equals(fileContent), `${name} is untouched`);
    }
    assert.ok(readFileSync(join(dir, 'folder', 'f.bin')).equals(folderContent));
    assert.deepEqual(readdirSync(join(dir, 'folder')), ['f.bin']);
    for (const l of [revoked, revokedFolder, expiring, consumed, consumedFolder]) {
      const link = (await (await api(`/api/v1/links/${l.linkId}`)).json()) as { status: string; purgedAt: string | null; kind: string };
      assert.equal(link.kind, 'share');
      assert.equal(link.purgedAt, null, 'a share link is never marked purged');
      assert.notEqual(link.status, 'active');
    }
    const events = (await (await api(`/api/v1/audit/events?type=link.purged&format=json`)).json()) as Array<{ linkId: string }>;
    const shareIds = new Set([revoked, revokedFolder, expiring, consumed, consumedFolder].map((l) => l.linkId));
    assert.ok(events.length >= 1, 'the sweep purged the send link');
    assert.ok(events.every((e) => !shareIds.has(e.linkId)), 'no purge event for a share link');
  });
});
