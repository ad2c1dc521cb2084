import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { planArchive } from '@mft/links';
import { createSendLink, eventually, eventuallyStatus, rawRequest, sessionCookie, TestGateway } from '@mft/testing';

const MiB = 1024 * 1024;
const GRACE_SECONDS = 2;

interface GrantJson {
  id: string;
  status: string;
  downloads: number;
  deliveredBytes: number;
}
interface LinkJson {
  id: string;
  status: string;
  endedReason: string | null;
  purgedAt: string | null;
  files: Array<{ id: string; name: string; size: number }>;
  grants: GrantJson[];
}
interface AuditEventJson {
  type: string;
  outcome: string;
  actor: string | null;
  grantId: string | null;
  fileId: string | null;
  bytes: number | null;
  details: Record<string, unknown>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('one-time claims: a claim that delivered bytes stays with its session until the sender resets it', () => {
  let gw: TestGateway;
  let token: string;

  before(async () => {
    gw = await TestGateway.start({ env: { CLAIM_GRACE_SECONDS: String(GRACE_SECONDS), JOBS_INTERVAL_SECONDS: '0.5' } });
    token = await gw.token();
  });
  after(async () => {
    await gw?.stop();
  });

  const auth = (): Record<string, string> => ({ authorization: `Bearer ${token}` });

  async function getLink(id: string): Promise<LinkJson> {
    const res = await fetch(`${gw.baseUrl}/api/v1/links/${id}`, { headers: auth() });
    assert.equal(res.status, 200);
    return (await res.json()) as LinkJson;
  }

  async function auditOf(linkId: string): Promise<AuditEventJson[]> {
    const res = await fetch(`${gw.baseUrl}/api/v1/audit/events?linkId=${linkId}&format=json`, { headers: auth() });
    assert.equal(res.status, 200);
    return (await res.json()) as AuditEventJson[];
  }

  async function create(
    files: Array<{ name: string; content: Buffer }>,
    fields: Record<string, string> = { oneTime: 'true' },
  ): Promise<{ id: string; url: string; link: LinkJson; fileUrl: (i: number) => string }> {
    const created = await createSendLink(gw.baseUrl, token, files, fields);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const link = await getLink(created.body.id);
    const url = created.body.grants[0]!.url;
    return { id: created.body.id, url, link, fileUrl: (i) => `${url}/files/${link.files[i]!.id}` };
  }

  /** Waits until at least one maintenance sweep has run after the claim went silent past the grace period. */
  const pastGrace = (): Promise<void> => sleep(GRACE_SECONDS * 1000 + 1500);

  it('the first archive entry, then the other file directly: every byte was delivered once, so the grant is consumed and nobody downloads it again', async () => {
    const a = randomBytes(256 * 1024);
    // Large enough that the sockets' buffers cannot hold the rest of the archive when the client hangs up.
    const b = randomBytes(48 * MiB);
    const { id, url, link, fileUrl } = await create([
      { name: 'a.bin', content: a },
      { name: 'b.bin', content: b },
    ]);
    // The first entry (local header, the file's bytes, data descriptor) where the archive's layout puts it, and a little of the next header.
    const first = planArchive([
      { name: 'a.bin', size: a.length, modifiedAt: new Date(0), version: '' },
      { name: 'b.bin', size: b.length, modifiedAt: new Date(0), version: '' },
    ]).entries[0]!;
    const partial = await rawRequest(`${url}/archive`, { abortAfter: first.end + 10 });
    assert.equal(partial.status, 200);
    assert.ok(partial.body.subarray(first.dataOffset, first.dataEnd).equals(a), 'the first entry holds a.bin unchanged');
    const cookie = sessionCookie(partial);

    const direct = await rawRequest(fileUrl(1), { headers: { cookie } });
    assert.equal(direct.status, 200);
    assert.ok(direct.body.equals(b));

    // Probed on the page, which (unlike a file request) downloads nothing itself.
    const page = await eventuallyStatus(url, 410, { headers: { cookie, accept: 'application/json' } });
    assert.equal(page.status, 410, 'the claimer has had every byte: consumed');
    assert.equal(((await page.json()) as { code: string }).code, 'grant_consumed');
    assert.equal((await rawRequest(fileUrl(0), { headers: { cookie } })).status, 410);
    await pastGrace();
    assert.equal((await rawRequest(url, { headers: { accept: 'application/json' } })).status, 410, 'the landing page is gone too');
    const second = await rawRequest(`${url}/archive`);
    assert.equal(second.status, 410, 'a second session never gets the archive');
    const grant = (await getLink(id)).grants[0]!;
    assert.deepEqual({ status: grant.status, downloads: grant.downloads }, { status: 'consumed', downloads: 1 });

    const events = await auditOf(id);
    const entry = events.find((e) => e.type === 'download.completed' && e.fileId === link.files[0]!.id);
    assert.ok(entry, `the archive's first entry is audited as delivered: ${JSON.stringify(events.map((e) => [e.type, e.fileId, e.bytes]))}`);
    assert.equal(entry.bytes, a.length, 'with the bytes actually delivered');
    const archived = events.filter((e) => e.fileId === link.files[1]!.id && e.type === 'download.interrupted');
    assert.ok(archived.every((e) => (e.bytes ?? 0) < b.length), 'the cut-off second entry is not counted whole');
  });

  it('all but the last byte with Range, then silence past the grace period: another session gets 409 grant_claimed (ask the sender); the claimer still finishes', async () => {
    const content = randomBytes(100_000);
    const { id, url, fileUrl } = await create([{ name: 'report.bin', content }]);
    const most = await rawRequest(fileUrl(0), { headers: { range: `bytes=0-${content.length - 2}` } });
    assert.equal(most.status, 206);
    assert.equal(most.body.length, content.length - 1);
    const cookie = sessionCookie(most);

    await pastGrace();
    const intruder = await fetch(fileUrl(0), { headers: { accept: 'application/json' } });
    assert.equal(intruder.status, 409);
    const refusal = (await intruder.json()) as { code: string; message: string };
    assert.equal(refusal.code, 'grant_claimed');
    assert.match(refusal.message, /ask the sender/i);
    assert.equal((await rawRequest(`${url}/archive`)).status, 409, 'nor the archive');

    const held = (await getLink(id)).grants[0]!;
    assert.deepEqual({ status: held.status, downloads: held.downloads, deliveredBytes: held.deliveredBytes }, { status: 'downloading', downloads: 0, deliveredBytes: content.length - 1 });
    assert.equal((await auditOf(id)).filter((e) => e.type === 'grant.released').length, 0, 'the claim was not released');

    const last = await rawRequest(fileUrl(0), { headers: { cookie, range: `bytes=${content.length - 1}-` } });
    assert.equal(last.status, 206);
    assert.ok(Buffer.concat([most.body, last.body]).equals(content));
    assert.equal((await eventuallyStatus(fileUrl(0), 410, { headers: { cookie } })).status, 410);
    const done = (await getLink(id)).grants[0]!;
    assert.deepEqual({ status: done.status, downloads: done.downloads, deliveredBytes: done.deliveredBytes }, { status: 'consumed', downloads: 1, deliveredBytes: 0 });
  });

  it('the sender resets a partly delivered grant: 200 with what was delivered, audited grant.reset; then any session downloads it whole', async () => {
    const content = randomBytes(64_000);
    const { id, link, fileUrl } = await create([{ name: 'contract.pdf', content }]);
    const grantId = link.grants[0]!.id;
    const reset = (g = grantId): Promise<Response> => fetch(`${gw.baseUrl}/api/v1/links/${id}/grants/${g}/reset`, { method: 'POST', headers: auth() });

    const idle = await reset();
    assert.equal(idle.status, 409, 'nothing to reset before any download');
    assert.equal(((await idle.json()) as { code: string }).code, 'grant_not_claimed');
    assert.equal((await reset(randomUUID())).status, 404);

    const part = await rawRequest(fileUrl(0), { headers: { range: 'bytes=0-999' } });
    assert.equal(part.status, 206);
    const intruder = await rawRequest(fileUrl(0));
    assert.equal(intruder.status, 409);

    const res = await reset();
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      id: grantId,
      recipient: null,
      deliveredBytes: 1000,
      files: [{ id: link.files[0]!.id, name: 'contract.pdf', size: content.length, deliveredBytes: 1000 }],
    });
    const after = (await getLink(id)).grants[0]!;
    assert.deepEqual({ status: after.status, deliveredBytes: after.deliveredBytes }, { status: 'sent', deliveredBytes: 0 });

    const whole = await rawRequest(fileUrl(0));
    assert.equal(whole.status, 200, 'another session may now download it');
    assert.ok(whole.body.equals(content));
    assert.equal((await eventuallyStatus(fileUrl(0), 410)).status, 410);
    assert.equal((await rawRequest(fileUrl(0), { headers: { cookie: sessionCookie(part) } })).status, 410, 'the first session cannot come back');
    const gone = await reset();
    assert.equal(gone.status, 410);

    const events = await auditOf(id);
    const audited = events.filter((e) => e.type === 'grant.reset');
    assert.equal(audited.length, 1);
    assert.equal(audited[0]!.actor, 'user:admin');
    assert.equal(audited[0]!.grantId, grantId);
    assert.equal(audited[0]!.bytes, 1000);
    assert.equal(audited[0]!.details.deliveredBytes, 1000);
  });

  it('during a claim, another session sending Range: bytes=0- gets 409, not the file, as a page or JSON without Content-Disposition', async () => {
    const content = randomBytes(20_000);
    const { fileUrl } = await create([{ name: 'ranged.bin', content }]);
    const part = await rawRequest(fileUrl(0), { headers: { range: 'bytes=0-9' } });
    assert.equal(part.status, 206);
    const other = await rawRequest(fileUrl(0), { headers: { range: 'bytes=0-', accept: 'application/json' } });
    assert.equal(other.status, 409);
    assert.equal((JSON.parse(other.body.toString()) as { code: string }).code, 'grant_claimed');
    assert.equal(other.headers['content-disposition'], undefined, 'a refusal is not a file to save');
    const page = await rawRequest(fileUrl(0), { headers: { accept: 'text/html' } });
    assert.equal(page.status, 409);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.equal(page.headers['content-disposition'], undefined, 'a browser shows the refusal as a page instead of saving it as the file');
  });

  it('a prefetch of the archive answers 503 and uses up nothing: a later real download gets the archive', async () => {
    const { url } = await create([
      { name: 'one.txt', content: Buffer.from('one') },
      { name: 'two.txt', content: Buffer.from('two') },
    ]);
    const prefetch = await rawRequest(`${url}/archive`, { headers: { 'sec-purpose': 'prefetch' } });
    assert.equal(prefetch.status, 503);
    assert.equal(prefetch.headers['retry-after'], '0');
    assert.equal(prefetch.body.length, 0);
    const real = await rawRequest(`${url}/archive`);
    assert.equal(real.status, 200);
    assert.equal(real.headers['content-type'], 'application/zip');
    assert.ok(real.body.includes(Buffer.from('one')) && real.body.includes(Buffer.from('two')));
    assert.equal((await eventuallyStatus(`${url}/archive`, 410)).status, 410, 'and that real download consumed it');
  });

  it('a consumed one-time link and a download-limited link that reached its limit have their copies purged by the sweep', async () => {
    const stored = (linkId: string, fileId: string): string => join(gw.dataDir, 'files', 'send', linkId, fileId);
    const once = await create([{ name: 'once.bin', content: randomBytes(3000) }]);
    const twice = await create([{ name: 'twice.bin', content: randomBytes(3000) }], { oneTime: 'false', maxDownloads: '2' });
    for (const l of [once, twice]) {
      assert.ok(existsSync(stored(l.id, l.link.files[0]!.id)));
    }
    assert.equal((await rawRequest(once.fileUrl(0))).status, 200);
    assert.equal((await rawRequest(twice.fileUrl(0))).status, 200);
    assert.equal((await eventuallyStatus(twice.fileUrl(0), 200)).status, 200);

    for (const l of [once, twice]) {
      const purged = await eventually(
        'the purge of a used-up link',
        async () => ({ link: await getLink(l.id), onDisk: existsSync(stored(l.id, l.link.files[0]!.id)), folder: existsSync(join(gw.dataDir, 'files', 'send', l.id)) }),
        (s) => s.link.purgedAt !== null,
      );
      assert.deepEqual(
        { status: purged.link.status, endedReason: purged.link.endedReason, onDisk: purged.onDisk, folder: purged.folder },
        { status: 'consumed', endedReason: 'consumed', onDisk: false, folder: false },
      );
      const events = (await auditOf(l.id)).filter((e) => e.type === 'link.purged');
      assert.equal(events.length, 1);
      assert.equal(events[0]!.details.reason, 'consumed');
      assert.equal(events[0]!.bytes, 3000);
    }
    assert.equal((await rawRequest(twice.fileUrl(0))).status, 410);
  });

  it('a stored copy that vanished from storage answers 500 with a correlation id, never the storage key, and logs an error', async () => {
    const { id, link, url, fileUrl } = await create(
      [
        { name: 'gone.bin', content: randomBytes(2000) },
        { name: 'kept.bin', content: randomBytes(2000) },
      ],
      { oneTime: 'false' },
    );
    const fileId = link.files[0]!.id;
    rmSync(join(gw.dataDir, 'files', 'send', id, fileId));

    for (const target of [fileUrl(0), `${url}/archive`]) {
      const page = await fetch(target);
      assert.equal(page.status, 500, target);
      const html = await page.text();
      assert.doesNotMatch(html, new RegExp(fileId), 'the page does not show the storage key');
      assert.doesNotMatch(html, /not found/i);
      const json = await fetch(target, { headers: { accept: 'application/json' } });
      assert.equal(json.status, 500);
      const body = (await json.json()) as { code: string; message: string; correlationId: string };
      assert.equal(body.code, 'internal_error');
      assert.match(body.correlationId, /^[0-9a-f-]{36}$/);
      assert.doesNotMatch(JSON.stringify(body), new RegExp(fileId));
      const logged = await eventually(
        'the error log line',
        async () => gw.output().split('\n').filter((l) => l.includes(body.correlationId)),
        (lines) => lines.length > 0,
        5000,
      );
      assert.match(logged.join('\n'), /error/i);
      assert.match(logged.join('\n'), new RegExp(fileId), 'the log names what is missing');
    }
    assert.equal((await rawRequest(fileUrl(1))).status, 200, 'the other file is still served');
  });
});
