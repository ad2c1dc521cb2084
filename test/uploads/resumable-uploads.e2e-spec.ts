import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tus from 'tus-js-client';
import { eventually, stopGateway, TestGateway } from '@mft/testing';

const KiB = 1024;
const LIMIT = { timeout: 60_000 };
const TUS = { 'tus-resumable': '1.0.0' };
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A PATCH whose body is cut off after `sendBytes` of `content`: the socket is destroyed mid-body. */
function interruptedPatch(url: string, token: string, offset: number, content: Buffer, sendBytes: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request(url, {
      method: 'PATCH',
      agent: false,
      headers: { ...TUS, authorization: `Bearer ${token}`, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset), 'content-length': String(content.length) },
    });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.write(content.subarray(0, sendBytes), () => setTimeout(() => req.destroy(), 200));
  });
}

/** Uploads `content` with tus-js-client, in chunks of `chunkSize`; resolves with the upload's URL. */
function tusUpload(endpoint: string, token: string, content: Buffer, name: string, chunkSize: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(content, {
      endpoint,
      chunkSize,
      retryDelays: null,
      headers: { authorization: `Bearer ${token}` },
      metadata: { filename: name, filetype: 'application/pdf' },
      storeFingerprintForResuming: false,
      onError: reject,
      onSuccess: () => resolve(upload.url!),
    });
    upload.start();
  });
}

describe('resumable uploads (tus 1.0) and send links made of them', () => {
  let gw: TestGateway;
  let token: string;
  let other: string;
  const auth = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });

  before(async () => {
    gw = await TestGateway.start({ env: { MAX_FILE_BYTES: String(4 * 1024 * KiB), JOBS_INTERVAL_SECONDS: '0.5' } });
    token = await gw.token();
    await gw.addUser({ user: 'emp', roles: ['employee'] });
    other = await gw.token('emp');
  });
  after(async () => stopGateway(gw));

  async function create(length: number, name = 'report.pdf', t = token): Promise<Response> {
    return fetch(`${gw.baseUrl}/api/v1/uploads`, { method: 'POST', headers: { ...TUS, ...auth(t), 'upload-length': String(length), 'upload-metadata': `filename ${b64(name)}` } });
  }
  async function head(url: string, t = token): Promise<Response> {
    return fetch(url, { method: 'HEAD', headers: { ...TUS, ...auth(t) } });
  }
  async function patch(url: string, offset: number, body: Buffer, t = token): Promise<Response> {
    return fetch(url, { method: 'PATCH', headers: { ...TUS, ...auth(t), 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset) }, body });
  }
  async function linkOf(ids: string[], t = token): Promise<Response> {
    return fetch(`${gw.baseUrl}/api/v1/links`, { method: 'POST', headers: { ...auth(t), 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'send', uploads: ids, notify: false }) });
  }
  async function download(created: { grants: Array<{ url: string }> }): Promise<Buffer> {
    const url = created.grants[0]!.url;
    const meta = (await (await fetch(url, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string }> };
    return Buffer.from(await (await fetch(`${url}/files/${meta.files[0]!.id}`)).arrayBuffer());
  }

  it('without credentials every tus route answers 401 with a message, and the upload is untouched', async () => {
    const created = await create(10, 'private.bin');
    assert.equal(created.status, 201);
    const url = new URL(created.headers.get('location')!, gw.baseUrl).href;
    const anonymous = { ...TUS, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0', 'upload-length': '10', 'upload-metadata': `filename ${b64('x')}` };
    for (const [method, target] of [['POST', `${gw.baseUrl}/api/v1/uploads`], ['HEAD', url], ['PATCH', url], ['DELETE', url]] as const) {
      const res = await fetch(target, { method, headers: anonymous, body: method === 'PATCH' ? Buffer.from('0123456789') : undefined });
      assert.equal(res.status, 401, `${method} without credentials`);
      if (method !== 'HEAD') {
        const body = (await res.json()) as { code?: string; message?: string };
        assert.ok(typeof body.message === 'string' && body.message.length > 10, `${method}: ${JSON.stringify(body)}`);
      }
    }
    assert.equal((await head(url)).headers.get('upload-offset'), '0', 'nothing was written');
  });

  it('OPTIONS names the version, the extensions and the largest upload', async () => {
    const res = await fetch(`${gw.baseUrl}/api/v1/uploads`, { method: 'OPTIONS', headers: auth(token) });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('tus-version'), '1.0.0');
    assert.equal(res.headers.get('tus-extension'), 'creation,termination,expiration');
    assert.equal(res.headers.get('tus-max-size'), String(4 * 1024 * KiB));
  });

  it('tus-js-client uploads in several PATCHes; the link made of it serves the exact bytes with their SHA-256', LIMIT, async () => {
    const content = randomBytes(700 * KiB + 13);
    const url = await tusUpload(`${gw.baseUrl}/api/v1/uploads`, token, content, 'Q3 report.pdf', 256 * KiB);
    const h = await head(url);
    assert.equal(h.status, 200);
    assert.equal(h.headers.get('upload-offset'), String(content.length));
    assert.equal(h.headers.get('upload-length'), String(content.length));
    assert.ok(Date.parse(h.headers.get('upload-expires')!) > Date.now() + 23 * 3600_000, 'expires about a day from now');
    const id = url.split('/').pop()!;
    const res = await linkOf([id]);
    const created = (await res.json()) as { id: string; grants: Array<{ url: string }> };
    assert.equal(res.status, 201, JSON.stringify(created));
    const view = (await (await fetch(`${gw.baseUrl}/api/v1/links/${created.id}`, { headers: auth(token) })).json()) as { files: Array<{ name: string; size: number; sha256: string; contentType: string }> };
    assert.deepEqual(
      view.files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256, contentType: f.contentType })),
      [{ name: 'Q3 report.pdf', size: content.length, sha256: sha256(content), contentType: 'application/pdf' }],
    );
    assert.ok((await download(created)).equals(content), 'the exact bytes');
    assert.equal((await head(url)).status, 404, 'the upload is gone once a link holds its bytes');
    const again = await linkOf([id]);
    assert.equal(again.status, 404);
    assert.equal(((await again.json()) as { code: string }).code, 'upload_not_found');
  });

  it('an upload sent in one PATCH becomes the link\'s file by a copy inside the storage (a hard link of the segment), with its SHA-256 taken as it arrived', LIMIT, async () => {
    const content = randomBytes(1500 * KiB + 3);
    const url = await tusUpload(`${gw.baseUrl}/api/v1/uploads`, token, content, 'one piece.bin', Infinity);
    const id = url.split('/').pop()!;
    const folder = join(gw.dataDir, 'files', 'uploads', id);
    const segments = readdirSync(folder);
    assert.equal(segments.length, 1, 'one segment for one PATCH');
    const segmentInode = statSync(join(folder, segments[0]!)).ino;
    const res = await linkOf([id]);
    const created = (await res.json()) as { id: string; grants: Array<{ url: string }> };
    assert.equal(res.status, 201, JSON.stringify(created));
    const view = (await (await fetch(`${gw.baseUrl}/api/v1/links/${created.id}`, { headers: auth(token) })).json()) as { files: Array<{ id: string; size: number; sha256: string }> };
    assert.deepEqual(view.files.map((f) => [f.size, f.sha256]), [[content.length, sha256(content)]]);
    const copy = statSync(join(gw.dataDir, 'files', 'send', created.id, view.files[0]!.id));
    assert.equal(copy.ino, segmentInode, 'the link\'s file is the segment itself, linked, not rewritten');
    assert.equal(copy.nlink, 1, 'and the segment\'s own name is gone');
    assert.equal(existsSync(folder), false, 'the upload folder is removed');
    assert.ok((await download(created)).equals(content), 'the exact bytes');
  });

  it('a PATCH cut off midway keeps what arrived; the client resumes from the offset HEAD reports', LIMIT, async () => {
    const content = randomBytes(1024 * KiB);
    const created = await create(content.length, 'resumed.bin');
    assert.equal(created.status, 201);
    const url = new URL(created.headers.get('location')!, gw.baseUrl).href;
    assert.equal((await patch(url, 0, content.subarray(0, 100 * KiB))).status, 204);
    await interruptedPatch(url, token, 100 * KiB, content.subarray(100 * KiB), 300 * KiB);
    // As a tus client resumes: HEAD for the offset, PATCH from there; while the server still finishes the
    // cut-off request the answer is 423 (it writes) or 409 (its offset moved), and the client asks again.
    let rest: Response | null = null;
    let offset = 0;
    for (let attempt = 0; attempt < 50 && rest?.status !== 204; attempt++) {
      if (attempt > 0) {
        assert.ok(rest!.status === 409 || rest!.status === 423, `a resume attempt got ${rest!.status}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      offset = Number((await head(url)).headers.get('upload-offset'));
      assert.ok(offset >= 100 * KiB && offset <= 400 * KiB, `offset ${offset} is within what was sent`);
      rest = await patch(url, offset, content.subarray(offset));
    }
    assert.equal(rest!.status, 204);
    assert.ok(offset > 100 * KiB, `the bytes that arrived before the cut were kept (offset ${offset})`);
    assert.equal(rest!.headers.get('upload-offset'), String(content.length));
    const wrong = await patch(url, 0, content.subarray(0, 10));
    assert.equal(wrong.status, 409);
    assert.deepEqual(await wrong.json(), {
      code: 'upload_offset_mismatch',
      message: `This upload is at byte ${content.length}, not 0: ask for its offset with HEAD and continue from there.`,
      offset: content.length,
    });
    const link = await linkOf([url.split('/').pop()!]);
    assert.equal(link.status, 201);
    assert.ok((await download((await link.json()) as { grants: Array<{ url: string }> })).equals(content));
  });

  it('DELETE removes an upload; someone else\'s upload is 404 to every method', async () => {
    const created = await create(10);
    const url = new URL(created.headers.get('location')!, gw.baseUrl).href;
    assert.equal((await patch(url, 0, Buffer.from('hello'))).status, 204);
    assert.equal((await head(url, other)).status, 404);
    const theirs = await patch(url, 5, Buffer.from('world'), other);
    assert.equal(theirs.status, 404);
    assert.equal(((await theirs.json()) as { code: string }).code, 'upload_not_found');
    assert.equal((await fetch(url, { method: 'DELETE', headers: { ...TUS, ...auth(other) } })).status, 404);
    assert.equal((await linkOf([url.split('/').pop()!], other)).status, 404);
    assert.equal((await fetch(url, { method: 'DELETE', headers: { ...TUS, ...auth(token) } })).status, 204);
    assert.equal((await head(url)).status, 404);
  });

  it('refusals: over-limit length before any byte, wrong version, wrong type, too many bytes, an unfinished upload', async () => {
    const big = await create(4 * 1024 * KiB + 1, 'huge.iso');
    assert.equal(big.status, 413);
    assert.deepEqual(await big.json(), { code: 'file_too_large', message: `The file "huge.iso" is larger than the maximum of ${4 * 1024 * KiB} bytes.`, maxFileBytes: 4 * 1024 * KiB });
    const noVersion = await fetch(`${gw.baseUrl}/api/v1/uploads`, { method: 'POST', headers: { ...auth(token), 'upload-length': '5', 'upload-metadata': `filename ${b64('a')}` } });
    assert.equal(noVersion.status, 412);
    assert.equal(noVersion.headers.get('tus-version'), '1.0.0');
    assert.equal(((await noVersion.json()) as { code: string }).code, 'tus_version_unsupported');
    const noName = await fetch(`${gw.baseUrl}/api/v1/uploads`, { method: 'POST', headers: { ...TUS, ...auth(token), 'upload-length': '5' } });
    assert.equal(noName.status, 400);
    assert.equal(((await noName.json()) as { code: string }).code, 'file_name_missing');
    const url = new URL((await create(5)).headers.get('location')!, gw.baseUrl).href;
    const badType = await fetch(url, { method: 'PATCH', headers: { ...TUS, ...auth(token), 'content-type': 'application/json', 'upload-offset': '0' }, body: '{}' });
    assert.equal(badType.status, 415);
    const tooMany = await patch(url, 0, Buffer.from('123456'));
    assert.equal(tooMany.status, 413);
    assert.equal(((await tooMany.json()) as { code: string }).code, 'upload_length_exceeded');
    assert.equal((await head(url)).headers.get('upload-offset'), '0', 'nothing of a refused PATCH is kept');
    assert.equal((await patch(url, 0, Buffer.from('123'))).status, 204);
    const unfinished = await linkOf([url.split('/').pop()!]);
    assert.equal(unfinished.status, 409);
    assert.deepEqual(await unfinished.json(), {
      code: 'upload_incomplete',
      message: `The upload ${url.split('/').pop()!} has 3 of its 5 bytes: finish it (PATCH from offset 3) before making a link of it.`,
    });
  });

  it('someone the policy does not let send is refused at creation (422), before any byte', async () => {
    const put = await fetch(`${gw.baseUrl}/api/v1/policy`, { method: 'PUT', headers: { ...auth(token), 'content-type': 'application/json' }, body: JSON.stringify({ creators: { send: ['admin'] } }) });
    assert.equal(put.status, 200, await put.text());
    try {
      const refused = await create(5, 'a.txt', other);
      assert.equal(refused.status, 422);
      const body = (await refused.json()) as { code: string; message: string };
      assert.equal(body.code, 'policy_creator_role_not_allowed');
      assert.match(body.message, /only admin may create send links \(creators\.send\); your roles are employee/);
      assert.equal(refused.headers.get('location'), null);
      assert.equal((await create(5, 'a.txt', token)).status, 201, 'an admin still may');
    } finally {
      const reset = await fetch(`${gw.baseUrl}/api/v1/policy`, { method: 'PUT', headers: { ...auth(token), 'content-type': 'application/json' }, body: JSON.stringify({}) });
      assert.equal(reset.status, 200, await reset.text());
    }
  });
});

describe('resumable uploads: expiry', () => {
  let gw: TestGateway;
  let token: string;
  before(async () => {
    gw = await TestGateway.start({ env: { RESUMABLE_UPLOAD_SECONDS: '1', JOBS_INTERVAL_SECONDS: '0.5' } });
    token = await gw.token();
  });
  after(async () => stopGateway(gw));

  it('an upload left unfinished past Upload-Expires is swept with its bytes', LIMIT, async () => {
    const created = await fetch(`${gw.baseUrl}/api/v1/uploads`, {
      method: 'POST',
      headers: { ...TUS, authorization: `Bearer ${token}`, 'upload-length': '100', 'upload-metadata': `filename ${b64('left.txt')}` },
    });
    assert.equal(created.status, 201);
    const url = new URL(created.headers.get('location')!, gw.baseUrl).href;
    const id = url.split('/').pop()!;
    const p = await fetch(url, { method: 'PATCH', headers: { ...TUS, authorization: `Bearer ${token}`, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' }, body: 'x'.repeat(40) });
    assert.equal(p.status, 204);
    const events = await eventually(
      'the sweep removes the upload',
      async () => (await (await fetch(`${gw.baseUrl}/api/v1/audit/events?type=upload.abandoned`, { headers: { authorization: `Bearer ${token}` } })).json()) as Array<{ type: string; details: { uploadId?: string; reason?: string } }>,
      (list) => list.some((e) => e.details.uploadId === id),
    );
    assert.equal(events.find((e) => e.details.uploadId === id)!.details.reason, 'resumable upload expired unfinished');
    assert.equal((await fetch(url, { method: 'HEAD', headers: { ...TUS, authorization: `Bearer ${token}` } })).status, 404);
    const { readdirSync } = await import('node:fs');
    const left = readdirSync(gw.dataDir, { recursive: true }).map(String).filter((p) => p.includes(id));
    assert.deepEqual(left, [], 'its segments are gone');
  });
});

describe('resumable uploads across two replicas on one PostgreSQL', () => {
  let a: TestGateway;
  let b: TestGateway;
  let token: string;
  before(async () => {
    a = await TestGateway.start({ database: 'postgres' });
    b = await TestGateway.start({ share: a });
    token = await a.token();
  });
  after(async () => {
    await stopGateway(b);
    await stopGateway(a);
  });

  it('an upload started on one replica is continued and made into a link on the other', LIMIT, async () => {
    const content = randomBytes(300 * KiB);
    const h = { ...TUS, authorization: `Bearer ${token}` };
    const created = await fetch(`${a.baseUrl}/api/v1/uploads`, { method: 'POST', headers: { ...h, 'upload-length': String(content.length), 'upload-metadata': `filename ${b64('shared.bin')}` } });
    assert.equal(created.status, 201);
    const path = created.headers.get('location')!;
    const first = await fetch(a.baseUrl + path, { method: 'PATCH', headers: { ...h, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' }, body: content.subarray(0, 100 * KiB) });
    assert.equal(first.status, 204);
    assert.equal((await fetch(b.baseUrl + path, { method: 'HEAD', headers: h })).headers.get('upload-offset'), String(100 * KiB));
    const rest = await fetch(b.baseUrl + path, { method: 'PATCH', headers: { ...h, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(100 * KiB) }, body: content.subarray(100 * KiB) });
    assert.equal(rest.status, 204);
    const link = await fetch(`${b.baseUrl}/api/v1/links`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'send', uploads: [path.split('/').pop()] }) });
    const body = (await link.json()) as { id: string; grants: Array<{ url: string }> };
    assert.equal(link.status, 201, JSON.stringify(body));
    const view = (await (await fetch(`${a.baseUrl}/api/v1/links/${body.id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { files: Array<{ sha256: string }> };
    assert.equal(view.files[0]!.sha256, sha256(content));
    const url = body.grants[0]!.url.replace(b.baseUrl, a.baseUrl);
    const meta = (await (await fetch(url, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string }> };
    assert.ok(Buffer.from(await (await fetch(`${url}/files/${meta.files[0]!.id}`)).arrayBuffer()).equals(content), 'the exact bytes, served by the first replica');
  });
});
