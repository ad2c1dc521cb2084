import assert from 'node:assert/strict';
import { symlinkSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TRAVERSAL_INSIDE as INSIDE, TRAVERSAL_REFUSED as REFUSED } from '@mft/storage';
import { rawRequest, TestGateway } from '@mft/testing';
import { listing, share, writeTree } from './share-fixtures.js';

const SECRET = 'SECRET-0f9d2c-never-served';

/** Escapes that parse as ordinary paths: they must still land inside the share, where nothing answers to them. */
const ESCAPES = [
  '/docs-private/secret.txt',
  'docs-private/secret.txt',
  '/../docs-private/secret.txt',
  '/outside-link',
  '/outside-dir/secret.txt',
  '/outside-dir',
  '/etc/passwd',
  '/.staging',
  '/send',
  '\u2025/docs-private/secret.txt',
  '/docs-private%2fsecret.txt',
];

/** Each payload as it arrives in a query string: decoded once by the server to the payload, twice, and raw where a URL can carry it. */
function encodings(payload: string): string[] {
  const once = percentEncode(payload);
  const forms = [once, encodeURIComponent(once)];
  if (/^[\x21-\x7e]*$/.test(payload) && !/[#?&+]/.test(payload)) {
    forms.push(payload);
  }
  return forms;
}

/** `encodeURIComponent`, except that a lone surrogate (which it refuses) goes as the bytes a lax encoder would send (WTF-8). */
function percentEncode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...s]
      .map((ch) => {
        const c = ch.codePointAt(0)!;
        if (c >= 0xd800 && c <= 0xdfff) {
          return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
        }
        return encodeURIComponent(ch);
      })
      .join('');
  }
}

/** A GET whose path goes out exactly as written: no client-side URL parsing that would resolve `..` or turn `\\` into `/`. */
function verbatim(url: string): Promise<{ status: number; body: Buffer }> {
  const m = /^http:\/\/([^/:]+):(\d+)(\/.*)$/.exec(url)!;
  return new Promise((resolve, reject) => {
    const req = request({ host: m[1], port: Number(m[2]), path: m[3], headers: { accept: 'application/json' }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

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
    ({ url: folderUrl } = await share(gw, token, { path: '/docs' }));
    ({ url: fileUrl } = await share(gw, token, { path: '/docs/ok.txt' }));
    const page = (await (await fetch(fileUrl, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string }> };
    fileId = page.files[0]!.id;
  });
  after(async () => {
    await gw?.stop();
  });

  it(`has at least 60 payloads (${REFUSED.length + ESCAPES.length})`, () => {
    assert.ok(REFUSED.length + ESCAPES.length >= 60);
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
    const failures: string[] = [];
    const probe = async (label: string, url: string, expectNotFound: boolean): Promise<void> => {
      const res = await verbatim(url);
      const code = res.status === 400 ? (JSON.parse(res.body.toString()) as { code?: string }).code : undefined;
      // Refusals of the URL itself, before any lookup: a request line over the header limit, and, in a
      // path segment (not a query), an escape that does not decode or decodes to NUL.
      const edgeRefusal = (res.status === 431 && url.length > 8000) || (url.includes('/files/') && (code === 'bad_request' || code === 'invalid_request'));
      if (res.body.includes(SECRET)) {
        failures.push(`${label}: the secret was served (${res.status})`);
      } else if (expectNotFound && res.status !== 404 && !edgeRefusal) {
        failures.push(`${label}: ${res.status} ${res.body.subarray(0, 120).toString()}`);
      }
    };
    const payloads = [...REFUSED, ...ESCAPES];
    for (const payload of payloads) {
      for (const q of encodings(payload)) {
        // An empty path is the shared folder itself: its listing and archive are allowed, and hold no secret.
        const root = payload === '';
        const label = JSON.stringify(payload).slice(0, 60);
        await probe(`listing ${label} as ${q.slice(0, 40)}`, `${folderUrl}?path=${q}`, !root);
        await probe(`download ${label} as ${q.slice(0, 40)}`, `${folderUrl}/download?path=${q}`, true);
        await probe(`archive ${label} as ${q.slice(0, 40)}`, `${folderUrl}/archive?path=${q}`, !root);
        await probe(`files ${label} as ${q.slice(0, 40)}`, `${folderUrl}/files/${q}`, true);
        await probe(`file share files ${label} as ${q.slice(0, 40)}`, `${fileUrl}/files/${q}`, !root);
      }
    }
    assert.deepEqual(failures, []);
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
