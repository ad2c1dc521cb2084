import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { createSendLink, eventually, eventuallyStatus, rawRequest, regularFilesUnder, sessionCookie, TestGateway } from '@mft/testing';

/** Every regular file under `dir`, as slash-separated paths relative to it (a folder removed meanwhile is skipped). */
const filesUnder = (dir: string): string[] => regularFilesUnder(dir).map((f) => f.path);

interface LinkJson {
  id: string;
  status: string;
  expiresAt: string | null;
  oneTime: boolean;
  maxDownloads: number | null;
  revokedAt: string | null;
  endedReason: string | null;
  purgedAt: string | null;
  files: Array<{ id: string; name: string; size: number }>;
  grants: Array<{ id: string; recipient: string | null; status: string; openedAt: string | null; downloadedAt: string | null; downloads: number }>;
}

interface AuditEventJson {
  seq: number;
  type: string;
  linkId: string | null;
  grantId: string | null;
  details: Record<string, unknown>;
}

/** Reads the entries of a zip file from its central directory (stored or deflated entries). */
function readZip(zip: Buffer): Map<string, Buffer> {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  assert.ok(eocd >= 0, 'the archive has an end-of-central-directory record');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const entries = new Map<string, Buffer>();
  for (let n = 0; n < count; n++) {
    assert.equal(zip.readUInt32LE(p), 0x02014b50, 'central directory entry signature');
    const method = zip.readUInt16LE(p + 10);
    const compressedSize = zip.readUInt32LE(p + 20);
    const nameLength = zip.readUInt16LE(p + 28);
    const extraLength = zip.readUInt16LE(p + 30);
    const commentLength = zip.readUInt16LE(p + 32);
    const localOffset = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLength).toString('utf8');
    assert.equal(zip.readUInt32LE(localOffset), 0x04034b50, 'local header signature');
    const dataStart = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const raw = zip.subarray(dataStart, dataStart + compressedSize);
    entries.set(name, method === 0 ? Buffer.from(raw) : inflateRawSync(raw));
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * POST /api/v1/links with the whole multipart body in one buffer, as small clients send it: a refusal
 * is then read in full before the gateway answers (see the streamed case in its own test below).
 */
async function postLink(
  baseUrl: string,
  token: string,
  files: ReadonlyArray<{ name: string; content: Buffer | string }>,
  fields: Record<string, string>,
): Promise<{ status: number; body: { code?: string; message?: string } }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    form.append(k, v);
  }
  for (const f of files) {
    form.append('file', new Blob([f.content]), f.name);
  }
  const encoded = new Response(form);
  const res = await fetch(`${baseUrl}/api/v1/links`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': encoded.headers.get('content-type')! },
    body: Buffer.from(await encoded.arrayBuffer()),
  });
  return { status: res.status, body: (await res.json()) as { code?: string; message?: string } };
}

/** Every regular file under `dir`, as paths relative to it. */

describe('link lifecycle: expiry, revocation, download limits, purge', () => {
  let gw: TestGateway;
  let token: string;

  before(async () => {
    gw = await TestGateway.start({ env: { JOBS_INTERVAL_SECONDS: '0.5' } });
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

  async function landingJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(url, { headers: { accept: 'application/json', ...headers } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  const stored = (linkId: string, fileId: string): string => join(gw.dataDir, 'files', 'send', linkId, fileId);

  async function create(
    files: Array<{ name: string; content: Buffer | string }>,
    fields: Record<string, string> = {},
  ): Promise<{ id: string; url: string; grants: Array<{ id: string; recipient: string | null; url: string }>; link: LinkJson }> {
    const created = await createSendLink(gw.baseUrl, token, files, fields);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return { id: created.body.id, url: created.body.grants[0]!.url, grants: created.body.grants, link: await getLink(created.body.id) };
  }

  it('a link answers until its expiry, then 410 on the page, the file and the JSON, and its bytes are purged', async () => {
    const content = randomBytes(4096);
    const expiresAt = new Date(Date.now() + 4000).toISOString();
    const { id, url, link } = await create([{ name: 'expiring.bin', content }], { expiresAt });
    assert.equal(link.expiresAt, expiresAt, 'the expiry is kept to the millisecond');
    const fileId = link.files[0]!.id;
    assert.ok(existsSync(stored(id, fileId)), 'the upload is on disk under DATA_DIR/files/send/<link>/<file>');

    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /expiring\.bin/);
    const json = await landingJson(url);
    assert.equal(json.status, 200);
    assert.equal(json.body.expiresAt, expiresAt);
    const download = await rawRequest(`${url}/files/${fileId}`);
    assert.equal(download.status, 200);
    assert.ok(download.body.equals(content));

    const gone = await eventuallyStatus(url, 410, {}, 20_000);
    assert.equal(gone.status, 410, 'the page is gone once the expiry has passed');
    assert.match(gone.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await gone.text(), /no longer available/i);
    const goneJson = await landingJson(url);
    assert.equal(goneJson.status, 410);
    assert.equal(goneJson.body.code, 'link_expired');
    const goneFile = await fetch(`${url}/files/${fileId}`, { headers: { accept: 'application/json' } });
    assert.equal(goneFile.status, 410);
    assert.equal(((await goneFile.json()) as { code: string }).code, 'link_expired');
    assert.equal((await fetch(`${url}/archive`)).status, 410);

    const purged = await eventually(
      'the purge',
      async () => ({ link: await getLink(id), onDisk: existsSync(stored(id, fileId)), folder: existsSync(join(gw.dataDir, 'files', 'send', id)) }),
      (s) => s.link.purgedAt !== null && !s.onDisk,
      20_000,
    );
    assert.equal(purged.onDisk, false, 'the bytes are removed from disk');
    assert.equal(purged.folder, false, 'and so is the link\'s folder');
    assert.notEqual(purged.link.purgedAt, null, 'the link records when it was purged');
    assert.equal(purged.link.status, 'expired');
    assert.equal(purged.link.grants[0]!.status, 'expired');
    const events = await auditOf(id);
    const types = events.map((e) => e.type);
    assert.equal(types.filter((t) => t === 'link.expired').length, 1, types.join(','));
    const purgeEvents = events.filter((e) => e.type === 'link.purged');
    assert.equal(purgeEvents.length, 1, types.join(','));
    assert.equal(purgeEvents[0]!.details.reason, 'expired');
    assert.ok(types.indexOf('link.expired') < types.indexOf('link.purged'));
    assert.equal((await fetch(url)).status, 410, 'a purged link stays gone');
  });

  it('revoking a link ends every access at once; its bytes are purged; revoking again is 204; unknown ids are 404', async () => {
    const content = randomBytes(2048);
    const { id, url, link } = await create([{ name: 'withdrawn.bin', content }, { name: 'second.txt', content: 'two' }]);
    const fileId = link.files[0]!.id;
    assert.equal((await rawRequest(`${url}/files/${fileId}`)).status, 200);

    const del = await fetch(`${gw.baseUrl}/api/v1/links/${id}`, { method: 'DELETE', headers: auth() });
    assert.equal(del.status, 204);

    const page = await fetch(url);
    assert.equal(page.status, 410, 'the page is gone immediately, before any sweep');
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const file = await rawRequest(`${url}/files/${fileId}`);
    assert.equal(file.status, 410);
    assert.ok(!file.body.includes(content), 'no byte of the file is served');
    const json = await landingJson(url);
    assert.equal(json.status, 410);
    assert.equal(json.body.code, 'link_revoked');
    assert.equal((await fetch(`${url}/archive`)).status, 410);

    const again = await fetch(`${gw.baseUrl}/api/v1/links/${id}`, { method: 'DELETE', headers: auth() });
    assert.equal(again.status, 204, 'revoking twice is not an error');

    const purged = await eventually(
      'the purge',
      async () => ({ link: await getLink(id), onDisk: link.files.filter((f) => existsSync(stored(id, f.id))).length }),
      (s) => s.link.purgedAt !== null && s.onDisk === 0,
    );
    assert.equal(purged.onDisk, 0, 'every file of the link is removed from disk');
    assert.notEqual(purged.link.purgedAt, null);
    assert.equal(purged.link.status, 'revoked');
    assert.notEqual(purged.link.revokedAt, null);
    assert.deepEqual(
      purged.link.grants.map((g) => g.status),
      ['revoked'],
    );
    const types = (await auditOf(id)).map((e) => e.type);
    assert.equal(types.filter((t) => t === 'link.revoked').length, 1, `one revocation is recorded: ${types.join(',')}`);
    assert.equal(types.filter((t) => t === 'link.purged').length, 1, types.join(','));

    const unknown = await fetch(`${gw.baseUrl}/api/v1/links/${randomUUID()}`, { method: 'DELETE', headers: auth() });
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { code: string }).code, 'link_not_found');
    const malformed = await fetch(`${gw.baseUrl}/api/v1/links/not-a-link-id`, { method: 'DELETE', headers: auth() });
    assert.equal(malformed.status, 400);
    const anonymous = await fetch(`${gw.baseUrl}/api/v1/links/${id}`, { method: 'DELETE' });
    assert.equal(anonymous.status, 401, 'revoking needs a token');
  });

  it('maxDownloads=2 allows exactly two completed downloads, then the grant answers 410', async () => {
    const content = randomBytes(32 * 1024);
    const { id, url, link } = await create([{ name: 'twice.bin', content }], { maxDownloads: '2' });
    assert.equal(link.maxDownloads, 2);
    assert.equal(link.oneTime, false);
    const fileId = link.files[0]!.id;
    assert.equal((await landingJson(url)).body.remainingDownloads, 2);

    const first = await rawRequest(`${url}/files/${fileId}`);
    assert.equal(first.status, 200);
    assert.ok(first.body.equals(content));
    const cookie = sessionCookie(first);
    const afterFirst = await eventually('the download in tracking', () => getLink(id), (l) => l.grants[0]!.downloads === 1);
    assert.equal(afterFirst.grants[0]!.downloads, 1);
    assert.equal(afterFirst.grants[0]!.status, 'downloaded');
    assert.notEqual(afterFirst.grants[0]!.downloadedAt, null);
    assert.equal((await landingJson(url)).body.remainingDownloads, 1);

    const second = await rawRequest(`${url}/files/${fileId}`, { headers: { cookie } });
    assert.equal(second.status, 200);
    assert.ok(second.body.equals(content));

    const third = await eventuallyStatus(`${url}/files/${fileId}`, 410, { headers: { accept: 'application/json' } });
    assert.equal(third.status, 410, 'a third download is refused');
    assert.equal(((await third.json()) as { code: string }).code, 'grant_consumed');
    const fromAnotherSession = await rawRequest(`${url}/files/${fileId}`);
    assert.equal(fromAnotherSession.status, 410);
    assert.equal((await landingJson(url)).status, 410);
    const final = await getLink(id);
    assert.equal(final.grants[0]!.downloads, 2);
    assert.equal(final.grants[0]!.status, 'consumed');
    assert.equal(final.status, 'consumed');
  });

  it('each recipient has an own grant and URL; revoking one grant leaves the others working', async () => {
    const content = randomBytes(1024);
    const recipients = ['alice@example.com', 'bob@example.com', 'carol@example.com'];
    const { id, grants, link } = await create([{ name: 'team.bin', content }], { recipients: 'alice@example.com, bob@example.com;carol@example.com ALICE@example.com' });
    assert.deepEqual(
      grants.map((g) => g.recipient!.toLowerCase()),
      recipients,
      'one grant per distinct recipient (addresses compared without case), in order',
    );
    assert.equal(new Set(grants.map((g) => g.url)).size, 3, 'every grant has its own URL');
    assert.deepEqual(link.grants.map((g) => g.recipient!.toLowerCase()).sort(), recipients);
    const fileId = link.files[0]!.id;
    for (const g of grants) {
      const page = await fetch(g.url);
      assert.equal(page.status, 200);
      assert.ok((await page.text()).includes(`<strong>${g.recipient!}</strong>`), 'the page names its recipient');
    }
    const bob = grants[1]!;
    const revoke = await fetch(`${gw.baseUrl}/api/v1/links/${id}/grants/${bob.id}`, { method: 'DELETE', headers: auth() });
    assert.equal(revoke.status, 204);

    const bobPage = await landingJson(bob.url);
    assert.equal(bobPage.status, 410);
    assert.equal(bobPage.body.code, 'link_revoked');
    assert.equal((await rawRequest(`${bob.url}/files/${fileId}`)).status, 410);
    for (const g of [grants[0]!, grants[2]!]) {
      assert.equal((await fetch(g.url)).status, 200, `${g.recipient} can still open the link`);
      const dl = await rawRequest(`${g.url}/files/${fileId}`);
      assert.equal(dl.status, 200, `${g.recipient} can still download`);
      assert.ok(dl.body.equals(content));
    }
    const view = await getLink(id);
    assert.equal(view.status, 'active');
    assert.equal(view.grants.find((g) => g.id === bob.id)!.status, 'revoked');
    assert.equal(view.grants.filter((g) => g.status === 'revoked').length, 1);

    const unknownGrant = await fetch(`${gw.baseUrl}/api/v1/links/${id}/grants/${randomUUID()}`, { method: 'DELETE', headers: auth() });
    assert.equal(unknownGrant.status, 404);
    const other = await create([{ name: 'other.txt', content: 'x' }]);
    const foreignGrant = await fetch(`${gw.baseUrl}/api/v1/links/${other.id}/grants/${grants[0]!.id}`, { method: 'DELETE', headers: auth() });
    assert.equal(foreignGrant.status, 404, 'a grant of another link cannot be revoked through this one');
    assert.equal((await fetch(grants[0]!.url)).status, 200);
 
    // Revoking the remaining grants ends the link as revoked (not as used up), and it is purged.
    for (const g of [grants[0]!, grants[2]!]) {
      assert.equal((await fetch(`${gw.baseUrl}/api/v1/links/${id}/grants/${g.id}`, { method: 'DELETE', headers: auth() })).status, 204);
    }
    const ended = await getLink(id);
    assert.equal(ended.status, 'revoked');
    assert.equal(ended.endedReason, 'revoked');
  });

  it('the zip archive holds every file, and downloading it uses up a one-time link', async () => {
    const files = [
      { name: 'report.pdf', content: randomBytes(20_000) },
      { name: 'data.csv', content: 'a,b\n1,2\n' },
      { name: 'empty.txt', content: '' },
      { name: 'report.pdf', content: randomBytes(100) },
    ];
    const plain = await create(files);
    const res = await rawRequest(`${plain.url}/archive`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/zip');
    assert.match(String(res.headers['content-disposition']), /^attachment; filename="?files-[0-9a-f]{8}\.zip"?$/);
    const entries = readZip(res.body);
    assert.deepEqual([...entries.keys()], ['report.pdf', 'data.csv', 'empty.txt', 'report (2).pdf']);
    assert.ok(entries.get('report.pdf')!.equals(files[0]!.content as Buffer));
    assert.equal(entries.get('data.csv')!.toString(), files[1]!.content);
    assert.equal(entries.get('empty.txt')!.length, 0);
    assert.ok(entries.get('report (2).pdf')!.equals(files[3]!.content as Buffer));
    const afterPlain = await eventually('the download in tracking', () => getLink(plain.id), (l) => l.grants[0]!.downloads === 1);
    assert.equal(afterPlain.grants[0]!.downloads, 1, 'an archive counts as one complete download');
    assert.equal((await fetch(plain.url)).status, 200, 'an unlimited link stays available');

    const once = await create(
      [
        { name: 'one.txt', content: 'first file' },
        { name: 'two.bin', content: randomBytes(50_000) },
      ],
      { oneTime: 'true' },
    );
    const zip = await rawRequest(`${once.url}/archive`);
    assert.equal(zip.status, 200);
    const onceEntries = readZip(zip.body);
    assert.deepEqual([...onceEntries.keys()].sort(), ['one.txt', 'two.bin']);
    assert.equal(onceEntries.get('one.txt')!.toString(), 'first file');
    assert.equal(onceEntries.get('two.bin')!.length, 50_000);

    const again = await eventuallyStatus(`${once.url}/archive`, 410, { headers: { cookie: sessionCookie(zip) } });
    assert.equal(again.status, 410, 'the one-time link is used up by its archive');
    for (const f of once.link.files) {
      assert.equal((await rawRequest(`${once.url}/files/${f.id}`)).status, 410);
    }
    const view = await getLink(once.id);
    assert.equal(view.grants[0]!.status, 'consumed');
    assert.equal(view.status, 'consumed');
  });

  it('refuses bad link options before storing anything: past or too-far expiry, no file, unknown field', async () => {
    const sendDir = join(gw.dataDir, 'files', 'send');
    const before = filesUnder(sendDir);

    const past = await postLink(gw.baseUrl, token, [{ name: 'a.txt', content: 'x' }], { expiresAt: new Date(Date.now() - 60_000).toISOString() });
    assert.equal(past.status, 422, JSON.stringify(past.body));
    assert.equal(past.body.code, 'policy_expiry_in_past');

    const tooFar = await postLink(gw.baseUrl, token, [{ name: 'a.txt', content: 'x' }], {
      expiresAt: new Date(Date.now() + 31 * 86_400_000).toISOString(),
    });
    assert.equal(tooFar.status, 422, JSON.stringify(tooFar.body));
    assert.equal(tooFar.body.code, 'policy_expiry_too_long');

    const noFile = await postLink(gw.baseUrl, token, [], { oneTime: 'true' });
    assert.equal(noFile.status, 400, JSON.stringify(noFile.body));
    assert.equal(noFile.body.code, 'no_files');

    const unknown = await postLink(gw.baseUrl, token, [{ name: 'a.txt', content: 'x' }], { colour: 'blue' });
    assert.equal(unknown.status, 400, JSON.stringify(unknown.body));
    assert.match(unknown.body.message ?? '', /colour/, 'the message names the unknown field');

    const noTimeZone = await postLink(gw.baseUrl, token, [{ name: 'a.txt', content: 'x' }], { expiresAt: '2030-01-31T17:00:00' });
    assert.equal(noTimeZone.status, 400);
    assert.match(noTimeZone.body.message ?? '', /expiresAt/);

    // A bad field after the file: the file is already streamed to disk, and must be removed again.
    const form = new FormData();
    form.append('file', new Blob(['late']), 'late.txt');
    form.append('maxDownloads', '0');
    const late = await fetch(`${gw.baseUrl}/api/v1/links`, { method: 'POST', headers: auth(), body: form });
    assert.equal(late.status, 400);
    assert.match(((await late.json()) as { message: string }).message, /maxDownloads/);

    const added = filesUnder(sendDir).filter((f) => !before.includes(f));
    assert.deepEqual(added, [], 'no bytes are left behind by refused uploads');
    const staged = filesUnder(join(gw.dataDir, 'files', '.staging')).filter((f) => f !== '.ping');
    assert.deepEqual(staged, [], 'no half-written upload is left in the staging area');

    const justInside = await postLink(gw.baseUrl, token, [{ name: 'a.txt', content: 'x' }], {
      expiresAt: new Date(Date.now() + 30 * 86_400_000 - 60_000).toISOString(),
    });
    assert.equal(justInside.status, 201, 'an expiry just under 30 days is allowed');
  });

  it('an upload refused by a rule is answered without cutting the connection while the client is still sending', async () => {
    // The refusal (expiry in the past) is known as soon as the file part starts. The client sends
    // its whole request, then reads. If the gateway closes the connection with the rest of the body
    // unread, the client's writes fail (EPIPE/ECONNRESET) and a client such as fetch may lose the
    // answer altogether (RFC 9112, section 9.6: close in stages, keep reading after the answer).
    const boundary = 'refused-upload-boundary';
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="expiresAt"\r\n\r\n${new Date(Date.now() - 60_000).toISOString()}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      Buffer.alloc(8 * 1024 * 1024),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const outcome = await new Promise<{ error: string | null; response: string }>((resolve) => {
      const socket = connect(gw.port, '127.0.0.1');
      let response = '';
      let error: string | null = null;
      socket.setEncoding('latin1');
      socket.on('data', (c: string) => (response += c));
      socket.on('error', (err: NodeJS.ErrnoException) => (error ??= err.code ?? err.message));
      socket.on('close', () => resolve({ error, response }));
      socket.write(
        `POST /api/v1/links HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
          `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      );
      socket.end(body);
    });
    assert.match(outcome.response, /^HTTP\/1\.1 422 /, 'the refusal is answered');
    assert.match(outcome.response, /policy_expiry_in_past/);
    assert.equal(outcome.error, null, 'the client could send its whole request without the connection being reset');
  });
});
