import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { eventually, rawRequest, regularFilesUnder, TestGateway, type RawResponse } from '@mft/testing';

/** Every regular file under `dir`, as slash-separated paths relative to it (a folder removed meanwhile is skipped). */
const filesUnder = (dir: string): string[] => regularFilesUnder(dir).map((f) => f.path);

const TOKEN_LOOKUPS = 60;
const LOOPBACK = ['127.0.0.1', '::ffff:127.0.0.1'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SQL_AGENT = "'); DELETE FROM audit_events; --";
const HTML_AGENT = '<img src=x onerror=alert(1)>';
const FORGED_FORWARD = "1.2.3.4', '5.6.7.8";

/** File names a hostile or careless client may send. Directory parts are dropped; the rest is kept as sent. */
const HOSTILE_NAMES: ReadonlyArray<{ sent: string; stored: string }> = [
  { sent: "'; DROP TABLE links; --.txt", stored: "'; DROP TABLE links; --.txt" },
  { sent: "Robert'); DROP TABLE link_files;--.csv", stored: "Robert'); DROP TABLE link_files;--.csv" },
  { sent: '../../etc/passwd', stored: 'passwd' },
  { sent: '..\\..\\boot.ini', stored: 'boot.ini' },
  { sent: '<script>alert(1)</script>.html', stored: 'script>.html' },
  { sent: '<img src=x onerror=alert(1)>.html', stored: '<img src=x onerror=alert(1)>.html' },
  { sent: "{{constructor.constructor('return process')()}}.txt", stored: "{{constructor.constructor('return process')()}}.txt" },
  { sent: '${process.exit(1)}.txt', stored: '${process.exit(1)}.txt' },
  { sent: '%2e%2e%2fescape.txt', stored: '%2e%2e%2fescape.txt' },
  { sent: 'Übersicht 年度报告 📊.txt', stored: 'Übersicht 年度报告 📊.txt' },
  { sent: 'مرحبا بالعالم.pdf', stored: 'مرحبا بالعالم.pdf' },
];

interface LinkJson {
  id: string;
  files: Array<{ id: string; name: string; size: number }>;
  grants: Array<{ id: string; recipient: string | null }>;
}

interface AuditEventJson {
  seq: number;
  type: string;
  actor: string | null;
  linkId: string | null;
  ip: string | null;
  userAgent: string | null;
}


/** The file name a Content-Disposition header announces (RFC 6266: filename* wins over filename). */
function dispositionFileName(header: string): string {
  const star = /filename\*=UTF-8''([^;\s]+)/i.exec(header);
  if (star) {
    return decodeURIComponent(star[1]!);
  }
  const quoted = /filename="((?:[^"\\]|\\.)*)"/i.exec(header);
  if (quoted) {
    return quoted[1]!.replace(/\\(.)/g, '$1');
  }
  const token = /filename=([^;\s]+)/i.exec(header);
  assert.ok(token, `no file name in ${header}`);
  return token[1]!;
}

/** The text of HTML with its character references decoded (markup left as it is). */
function decodeEntities(html: string): string {
  const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
  return html.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      return String.fromCodePoint(ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10));
    }
    return named[ref.toLowerCase()] ?? whole;
  });
}

/**
 * Sends `path` exactly as written. (A URL string would be normalised by the client first: "%2e%2e"
 * and ".." segments removed before the request leaves, so the server would never see them.)
 */
function rawPath(target: TestGateway, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: target.port, path, method: opts.method ?? 'GET', headers: opts.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('hostile input is stored and shown inertly', () => {
  let gw: TestGateway;
  let proxied: TestGateway;
  let token: string;
  let proxiedToken: string;
  let configDir: string;
  let passwdBefore: { mtimeMs: number; sha: string } | null = null;

  before(async () => {
    configDir = mkdtempSync(join(tmpdir(), 'mft-inj-config-'));
    const configFile = join(configDir, 'limits.yaml');
    writeFileSync(configFile, `rateLimits:\n  tokenLookupPerIp: { max: ${TOKEN_LOOKUPS}, windowSeconds: 900 }\n`);
    if (existsSync('/etc/passwd')) {
      passwdBefore = { mtimeMs: statSync('/etc/passwd').mtimeMs, sha: sha256(readFileSync('/etc/passwd')) };
    }
    [gw, proxied] = await Promise.all([
      TestGateway.start({ env: { CONFIG_FILE: configFile } }),
      TestGateway.start({ env: { CONFIG_FILE: configFile, TRUSTED_PROXIES: '127.0.0.1' } }),
    ]);
    [token, proxiedToken] = await Promise.all([gw.token(), proxied.token()]);
  });
  after(async () => {
    await Promise.all([gw?.stop(), proxied?.stop()]);
    rmSync(configDir, { recursive: true, force: true });
  });

  async function upload(
    target: TestGateway,
    bearer: string,
    files: ReadonlyArray<{ name: string; content: Buffer | string }>,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: { id: string; grants: Array<{ id: string; recipient: string | null; url: string }>; code?: string; message?: string } }> {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) {
      form.append(k, v);
    }
    for (const f of files) {
      form.append('file', new Blob([f.content]), f.name);
    }
    // One buffer: a refused form is read in full before the answer, whatever the client's write pattern.
    const encoded = new Response(form);
    const res = await fetch(`${target.baseUrl}/api/v1/links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': encoded.headers.get('content-type')!, ...headers },
      body: Buffer.from(await encoded.arrayBuffer()),
    });
    return { status: res.status, body: (await res.json()) as never };
  }

  async function api<T>(target: TestGateway, bearer: string, path: string): Promise<T> {
    const res = await fetch(`${target.baseUrl}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
    assert.equal(res.status, 200, `${path}: ${res.status}`);
    return (await res.json()) as T;
  }

  it('file names with SQL, traversal, template and markup strings are kept as text, escaped on the page, safe in downloads and on disk', async () => {
    const files = HOSTILE_NAMES.map((n, i) => ({ name: n.sent, content: Buffer.concat([Buffer.from(`file ${i}\n`), randomBytes(64)]) }));
    const created = await upload(gw, token, files, { recipients: "o'brien@example.com", message: '<script>alert(1)</script> {{constructor}}' }, {
      'user-agent': SQL_AGENT,
      'x-forwarded-for': FORGED_FORWARD,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const linkId = created.body.id;
    const url = created.body.grants[0]!.url;
    assert.equal(created.body.grants[0]!.recipient, "o'brien@example.com");

    const link = await api<LinkJson>(gw, token, `/api/v1/links/${linkId}`);
    assert.deepEqual(
      link.files.map((f) => f.name),
      HOSTILE_NAMES.map((n) => n.stored),
      'names come back exactly as sent, minus any directory part',
    );
    for (const f of link.files) {
      assert.ok(!/[/\\]/.test(f.name), `no path separator survives in ${f.name}`);
    }

    const page = await fetch(url, { headers: { 'user-agent': HTML_AGENT } });
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
    const html = await page.text();
    assert.ok(!/<script/i.test(html), 'no script element reaches the page');
    assert.ok(!/<img/i.test(html), 'no img element reaches the page');
    const text = decodeEntities(html);
    for (const f of link.files) {
      assert.ok(text.includes(`<td class="name" role="cell">${f.name}</td>`), `${f.name} is shown as text`);
    }
    assert.ok(html.includes('&lt;img src'), 'markup in a file name is escaped');
    assert.ok(text.includes('<blockquote class="message"><script>alert(1)</script> {{constructor}}</blockquote>'), 'the message is shown as text');
    assert.ok(!html.includes('[object'), 'template syntax in a name is not evaluated');
    assert.ok(text.includes('<strong>o\'brien@example.com</strong>'));
    for (const [i, f] of link.files.entries()) {
      const res = await rawRequest(`${url}/files/${f.id}`);
      assert.equal(res.status, 200, f.name);
      assert.ok(res.body.equals(files[i]!.content), `the bytes of ${f.name}`);
      assert.equal(res.headers['content-type'], 'application/octet-stream', 'never rendered by the browser, whatever the name');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      const disposition = String(res.headers['content-disposition']);
      assert.match(disposition, /^attachment; filename/);
      assert.ok(!/[\r\n\0]/.test(disposition));
      assert.equal(dispositionFileName(disposition), f.name, 'the download is offered under its stored name');
    }

    const filesRoot = join(gw.dataDir, 'files');
    const onDisk = filesUnder(filesRoot).filter((p) => !p.startsWith('.staging/'));
    for (const p of onDisk) {
      const parts = p.split('/');
      assert.equal(parts.length, 3, `stored as send/<link>/<file>: ${p}`);
      assert.equal(parts[0], 'send');
      assert.match(parts[1]!, UUID);
      assert.match(parts[2]!, UUID);
    }
    assert.deepEqual(
      filesUnder(join(filesRoot, 'send', linkId)).sort(),
      link.files.map((f) => f.id).sort(),
      'each file is stored under its id in the folder of its link',
    );
    const everything = filesUnder(gw.dataDir);
    for (const bad of ['passwd', 'boot.ini', 'DROP', 'script', 'constructor', 'escape']) {
      assert.ok(!everything.some((p) => p.includes(bad)), `nothing named after "${bad}" in DATA_DIR: ${everything.filter((p) => p.includes(bad)).join(', ')}`);
    }
    for (const outside of [join(filesRoot, 'etc'), join(gw.dataDir, 'etc'), join(dirname(gw.dataDir), 'boot.ini'), join(dirname(gw.dataDir), 'passwd')]) {
      assert.equal(existsSync(outside), false, `${outside} was not created`);
    }
    if (passwdBefore) {
      assert.equal(statSync('/etc/passwd').mtimeMs, passwdBefore.mtimeMs, '/etc/passwd is untouched');
      assert.equal(sha256(readFileSync('/etc/passwd')), passwdBefore.sha);
    }

    const list = await api<LinkJson[]>(gw, token, '/api/v1/links?limit=200');
    assert.ok(
      list.some((l) => l.id === linkId),
      'the links table still answers',
    );
    const again = await upload(gw, token, [{ name: 'after.txt', content: 'still works' }], {});
    assert.equal(again.status, 201, 'uploads still work');
    const verify = await api<{ ok: boolean; checked: number }>(gw, token, '/api/v1/audit/verify');
    assert.equal(verify.ok, true);
  });

  it('recipients with quotes are kept as typed; malformed or hostile recipient lists are refused with 400', async () => {
    const valid = ["o'brien@example.com", 'first.last+tag@example.co.uk', "d'arcy.o'neil@example.org"];
    const ok = await upload(gw, token, [{ name: 'r.txt', content: 'r' }], { recipients: valid.join(',') });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.deepEqual(
      ok.body.grants.map((g) => g.recipient),
      valid,
    );
    const page = await (await fetch(ok.body.grants[0]!.url)).text();
    assert.ok(page.includes('<strong>o&#x27;brien@example.com</strong>'));

    const before = (await api<LinkJson[]>(gw, token, '/api/v1/links?limit=200')).length;
    for (const recipients of [
      "x@example.com'); DROP TABLE grants; --",
      '<script>alert(1)</script>@example.com',
      'not-an-email',
      'a@b@example.com',
      'someone@example.com\r\nBcc: victim@example.com',
    ]) {
      const res = await upload(gw, token, [{ name: 'r.txt', content: 'r' }], { recipients });
      assert.equal(res.status, 400, `${JSON.stringify(recipients)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'invalid_link_options');
      assert.match(res.body.message ?? '', /recipients/);
    }
    assert.equal((await api<LinkJson[]>(gw, token, '/api/v1/links?limit=200')).length, before, 'no link was created');
  });

  it('user agents are recorded literally and the client address is the real socket, not a forged X-Forwarded-For', async () => {
    const created = await upload(gw, token, [{ name: 'ua.txt', content: 'ua' }], {}, { 'user-agent': SQL_AGENT, 'x-forwarded-for': FORGED_FORWARD });
    assert.equal(created.status, 201);
    const linkId = created.body.id;
    const url = created.body.grants[0]!.url;
    const seqBefore = (await api<AuditEventJson[]>(gw, token, '/api/v1/audit/events')).length;
    for (const agent of [SQL_AGENT, HTML_AGENT]) {
      const res = await rawRequest(url, { headers: { 'user-agent': agent, 'x-forwarded-for': FORGED_FORWARD, 'x-real-ip': '6.6.6.6' } });
      assert.equal(res.status, 200);
    }
    const link = await api<LinkJson>(gw, token, `/api/v1/links/${linkId}`);
    const download = await rawRequest(`${url}/files/${link.files[0]!.id}`, { headers: { 'user-agent': HTML_AGENT, 'x-forwarded-for': '203.0.113.77' } });
    assert.equal(download.status, 200);

    // The delivery is recorded right after the last byte has left: wait for it, so the log is complete.
    const events = await eventually(
      'the completed download in the audit log',
      () => api<AuditEventJson[]>(gw, token, `/api/v1/audit/events?linkId=${linkId}`),
      (list) => list.some((e) => e.type === 'download.completed'),
    );
    const createdEvent = events.find((e) => e.type === 'link.created')!;
    assert.equal(createdEvent.userAgent, SQL_AGENT);
    assert.equal(createdEvent.actor, 'user:admin');
    const opened = events.filter((e) => e.type === 'page.opened');
    assert.deepEqual(
      opened.map((e) => e.userAgent),
      [SQL_AGENT, HTML_AGENT],
      'each view carries its literal user agent',
    );
    assert.ok(events.some((e) => e.type === 'download.started' && e.userAgent === HTML_AGENT));
    for (const e of events) {
      assert.ok(LOOPBACK.includes(e.ip ?? ''), `${e.type} from ${e.ip}: the socket address, not a header`);
    }

    const all = await api<AuditEventJson[]>(gw, token, '/api/v1/audit/events');
    assert.ok(all.length >= seqBefore + 3, 'no audit event was deleted');
    assert.ok(!all.some((e) => /1\.2\.3\.4|5\.6\.7\.8|203\.0\.113\.77|6\.6\.6\.6/.test(e.ip ?? '')), 'no forged address was believed');
    const verify = await api<{ ok: boolean; checked: number }>(gw, token, '/api/v1/audit/verify');
    assert.deepEqual(verify, { ok: true, checked: all.length });
  });

  it('behind a trusted proxy, the X-Forwarded-For client is recorded instead', async () => {
    const created = await upload(proxied, proxiedToken, [{ name: 'p.txt', content: 'p' }], {}, { 'x-forwarded-for': '203.0.113.9', 'user-agent': SQL_AGENT });
    assert.equal(created.status, 201);
    const url = created.body.grants[0]!.url;
    assert.equal((await rawRequest(url, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status, 200);
    assert.equal((await rawRequest(url, { headers: { 'x-forwarded-for': '198.51.100.200, 203.0.113.10' } })).status, 200);
    assert.equal((await rawRequest(url)).status, 200);
    const events = await api<AuditEventJson[]>(proxied, proxiedToken, `/api/v1/audit/events?linkId=${created.body.id}`);
    assert.equal(events.find((e) => e.type === 'link.created')!.ip, '203.0.113.9');
    assert.equal(events.find((e) => e.type === 'link.created')!.userAgent, SQL_AGENT);
    const opened = events.filter((e) => e.type === 'page.opened').map((e) => e.ip);
    assert.equal(opened.length, 3);
    assert.equal(opened[0], '203.0.113.9');
    assert.equal(opened[1], '203.0.113.10', 'the address the trusted proxy saw, not one the client claimed before it');
    assert.ok(LOOPBACK.includes(opened[2] ?? ''), 'without the header, the socket address');
  });

  it('unknown and malformed link tokens answer 404 (or 400 for undecodable paths), never 500', async () => {
    const tokens = [
      randomBytes(32).toString('base64url'),
      '..%2F..%2Fx',
      '%2e%2e',
      '.%2e',
      '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '....%5c....%5cboot.ini',
      'a'.repeat(4000),
      "'%20OR%20'1'%3D'1",
      '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
      '%7B%7B7*7%7D%7D',
    ];
    for (const t of tokens) {
      for (const suffix of ['', '/files/00000000-0000-4000-8000-000000000000', '/archive']) {
        const res = await rawPath(gw, `/l/${t}${suffix}`, { headers: { accept: 'application/json' } });
        assert.equal(res.status, 404, `/l/${t.slice(0, 40)}${suffix}: ${res.status} ${res.body.toString().slice(0, 200)}`);
        const body = JSON.parse(res.body.toString()) as { code: string };
        assert.match(body.code, /not_found/);
      }
    }
    // A NUL is refused at the edge, like in any other field (test/security/input-strings.e2e-spec.ts).
    for (const suffix of ['', '/files/00000000-0000-4000-8000-000000000000', '/archive']) {
      const res = await rawPath(gw, `/l/%00${suffix}`, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 400, `/l/%00${suffix}: ${res.status} ${res.body.toString().slice(0, 200)}`);
      assert.equal((JSON.parse(res.body.toString()) as { field: string }).field, 'token');
    }
    for (const path of ['/l/../../etc/passwd', '/l/..%2F..%2F..%2Fetc%2Fpasswd/files/x', '/l/%2e%2e/%2e%2e/etc/passwd', '/static/..%2F..%2F..%2F..%2Fetc%2Fpasswd', '/static/../../package.json']) {
      const res = await rawPath(gw, path);
      assert.ok(res.status === 400 || res.status === 404, `${path}: ${res.status}`);
      assert.ok(!res.body.toString().includes('root:') && !res.body.toString().includes('"dependencies"'), `${path}: no file from outside is served`);
    }
    const html = await rawPath(gw, '/l/%3Cscript%3Ealert(1)%3C%2Fscript%3E', { headers: { accept: 'text/html' } });
    assert.equal(html.status, 404);
    assert.match(String(html.headers['content-type']), /text\/html/);
    assert.ok(!html.body.toString().includes('<script>'), 'the token is never echoed as markup');
    const unlock = await rawRequest(`${gw.baseUrl}/l/${randomBytes(32).toString('base64url')}/unlock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ password: "' OR 1=1 --" }),
    });
    assert.equal(unlock.status, 404);

    // A real token does not open files of other links, nor paths instead of file ids.
    const mine = await upload(gw, token, [{ name: 'mine.txt', content: 'mine' }], {});
    const theirs = await upload(gw, token, [{ name: 'theirs.txt', content: 'theirs' }], {});
    const theirFile = (await api<LinkJson>(gw, token, `/api/v1/links/${theirs.body.id}`)).files[0]!.id;
    const myPath = new URL(mine.body.grants[0]!.url).pathname;
    for (const fileId of [theirFile, '..%2F..%2F..%2Fetc%2Fpasswd', `..%2F${theirs.body.id}%2F${theirFile}`, '%2e%2e%2f%2e%2e', 'a'.repeat(2000)]) {
      const res = await rawPath(gw, `${myPath}/files/${fileId}`, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 404, `files/${fileId.slice(0, 60)}: ${res.status}`);
      assert.equal((JSON.parse(res.body.toString()) as { code: string }).code, 'file_not_found');
    }
    const nul = await rawPath(gw, `${myPath}/files/%00`, { headers: { accept: 'application/json' } });
    assert.equal(nul.status, 400);
    assert.equal((JSON.parse(nul.body.toString()) as { field: string }).field, 'fileId');
    for (const odd of ['%ZZ', '%E0%A4%A', '%', 'x%2']) {
      const res = await rawPath(gw, `/l/${odd}`, { headers: { accept: 'application/json' } });
      assert.ok(res.status === 400 || res.status === 404, `/l/${odd}: ${res.status}`);
    }
  });

  it('many unknown tokens from one address end in 429, whatever X-Forwarded-For claims', async () => {
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof rawRequest>> | null = null;
    for (let i = 0; i < TOKEN_LOOKUPS * 2 && !limited; i++) {
      const res = await rawRequest(`${gw.baseUrl}/l/${randomBytes(32).toString('base64url')}`, {
        headers: { accept: 'application/json', 'x-forwarded-for': `192.0.2.${i % 250}` },
      });
      statuses.push(res.status);
      if (res.status === 429) {
        limited = res;
      }
    }
    assert.ok(limited, `never limited: ${statuses.join(',')}`);
    assert.ok(statuses.slice(0, -1).every((s) => s === 404));
    assert.ok(statuses.length <= TOKEN_LOOKUPS + 1, `limited after ${statuses.length} lookups`);
    assert.equal((JSON.parse(limited.body.toString()) as { code: string }).code, 'too_many_attempts');
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 900, `Retry-After: ${limited.headers['retry-after']}`);
  });

  it('behind a trusted proxy, unknown tokens are counted per forwarded client', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < TOKEN_LOOKUPS * 2 && statuses.at(-1) !== 429; i++) {
      const res = await rawRequest(`${proxied.baseUrl}/l/${randomBytes(32).toString('base64url')}`, {
        headers: { accept: 'application/json', 'x-forwarded-for': '203.0.113.50' },
      });
      statuses.push(res.status);
    }
    assert.equal(statuses.at(-1), 429, statuses.join(','));
    const other = await rawRequest(`${proxied.baseUrl}/l/${randomBytes(32).toString('base64url')}`, {
      headers: { accept: 'application/json', 'x-forwarded-for': '203.0.113.51' },
    });
    assert.equal(other.status, 404, 'another client behind the same proxy is not limited');
  });
});
