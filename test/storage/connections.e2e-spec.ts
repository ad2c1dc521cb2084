import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSendLink, jsonHeaders, TestGateway } from '@mft/testing';

interface Connection {
  id: string;
  name: string;
  kind: string;
  settings: Record<string, unknown>;
  status: string;
  statusMessage: string | null;
  hasSecrets: boolean;
  builtin: boolean;
}
interface ErrorBody {
  code: string;
  message: string;
  field?: string;
  problems?: Array<{ path: string; message: string }>;
}
interface Entries {
  entries: Array<{ name: string; path: string; kind: string; size: number; modifiedAt: string }>;
  next: string | null;
}

const SECRET = 'Sup3r-Secret-Key/DoNotLeak+9f4c2a';
const ACCESS_KEY = 'AKIADONOTLEAK0001';

/** Every regular file under `dir` (but the drivers' own staging area), with its bytes. */
function filesUnder(dir: string): Array<{ path: string; bytes: Buffer }> {
  const out: Array<{ path: string; bytes: Buffer }> = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === '.staging') {
      continue;
    }
    if (statSync(p).isDirectory()) {
      out.push(...filesUnder(p));
    } else {
      out.push({ path: p, bytes: readFileSync(p) });
    }
  }
  return out;
}

describe('storage connections over the API', () => {
  let gw: TestGateway;
  let admin: string;
  let employee: string;
  let manager: string;
  const dirs: string[] = [];
  const tempDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'mft-conn-'));
    dirs.push(d);
    return d;
  };

  before(async () => {
    gw = await TestGateway.start();
    admin = await gw.token();
    await gw.addUser({ user: 'erin', roles: ['employee'], groups: ['finance'] });
    await gw.addUser({ user: 'max', roles: ['manager'] });
    employee = await gw.token('erin');
    manager = await gw.token('max');
  });
  after(async () => {
    await gw?.stop();
    for (const d of dirs) {
      rmSync(d, { recursive: true, force: true });
    }
  });

  const api = (path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<Response> =>
    fetch(`${gw.baseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: jsonHeaders(init.token ?? admin),
      ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
    });
  const list = async (): Promise<Connection[]> => (await (await api('/api/v1/connections')).json()) as Connection[];
  const auditText = async (): Promise<string> => (await api('/api/v1/audit/events')).text();
  const create = async (body: unknown): Promise<{ status: number; body: Connection & ErrorBody }> => {
    const res = await api('/api/v1/connections', { method: 'POST', body });
    return { status: res.status, body: (await res.json()) as Connection & ErrorBody };
  };

  it('lists the built-in local folder as "default" before anything is configured, and it is the send storage', async () => {
    const all = await list();
    assert.deepEqual(
      all.map((c) => [c.id, c.kind, c.builtin]),
      [['default', 'local', true]],
    );
    const setting = (await (await api('/api/v1/settings/send-storage')).json()) as { connectionId: string };
    assert.equal(setting.connectionId, 'default');
  });

  it('creates, reads, changes and deletes a local connection; each change is audited', async () => {
    const root = tempDir();
    const created = await create({ name: 'Projects', kind: 'local', settings: { root } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.name, 'Projects');
    assert.equal(created.body.kind, 'local');
    assert.equal(created.body.status, 'ok');
    assert.equal(created.body.settings.root, root);
    assert.equal(created.body.hasSecrets, false);
    const id = created.body.id;

    const got = (await (await api(`/api/v1/connections/${id}`)).json()) as Connection;
    assert.deepEqual(got, created.body);
    assert.ok((await list()).some((c) => c.id === id));

    const dup = await create({ name: 'projects', kind: 'local', settings: { root } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.code, 'connection_name_taken');
    assert.equal(dup.body.field, 'name');

    const patched = await api(`/api/v1/connections/${id}`, { method: 'PATCH', body: { name: 'Projects 2026', settings: { root, shareRoots: [{ path: '/docs', roles: ['employee'], groups: [] }] } } });
    assert.equal(patched.status, 200, await patched.clone().text());
    const p = (await patched.json()) as Connection;
    assert.equal(p.name, 'Projects 2026');
    assert.deepEqual(p.settings.shareRoots, [{ path: '/docs', roles: ['employee'], groups: [], write: false }]);
    const kindChange = await api(`/api/v1/connections/${id}`, { method: 'PATCH', body: { kind: 's3' } });
    assert.equal(kindChange.status, 400);
    assert.match(((await kindChange.json()) as ErrorBody).message, /kind/);

    const del = await api(`/api/v1/connections/${id}`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    assert.equal((await api(`/api/v1/connections/${id}`)).status, 404);
    assert.equal((await api(`/api/v1/connections/${id}`, { method: 'DELETE' })).status, 404);

    const events = JSON.parse(await auditText()) as Array<{ type: string; actor: string; details: Record<string, unknown> }>;
    const mine = events.filter((e) => e.details.connectionId === id).map((e) => e.type);
    assert.deepEqual(mine, ['connection.created', 'connection.updated', 'connection.deleted']);
    const updated = events.find((e) => e.type === 'connection.updated' && e.details.connectionId === id)!;
    assert.deepEqual(updated.details.changed, ['name', 'settings']);
    assert.equal(updated.actor, 'user:admin');
  });

  it('refuses bad input with 400 or 422 naming the field, and creates nothing', async () => {
    const before = await list();
    const auditBefore = (await auditText()).length;
    const cases: Array<[unknown, number, RegExp]> = [
      [{ name: 'X', kind: 'ftp', settings: {} }, 400, /kind/],
      [{ name: 'X', kind: 'local' }, 400, /settings/],
      [{ name: 'X', kind: 'local', settings: { root: 'relative/path' } }, 400, /settings\.root/],
      [{ name: 'X', kind: 'local', settings: {} }, 400, /settings\.root/],
      [{ name: 'X', kind: 'local', settings: { root: '/tmp', colour: 'red' } }, 400, /settings.*colour/],
      [{ name: '', kind: 'local', settings: { root: '/tmp' } }, 400, /name/],
      [{ name: 'X', kind: 'local', settings: { root: join(tmpdir(), 'mft-does-not-exist-4711') } }, 422, /settings\.root/],
      [{ name: 'X', kind: 'local', settings: { root: gw.dataDir } }, 422, /settings\.root/],
      [{ name: 'X', kind: 'local', settings: { root: join(gw.dataDir, '..') } }, 422, /settings\.root/],
      [{ name: 'X', kind: 'local', settings: { root: tempDir(), shareRoots: [{ path: '/../etc', roles: ['employee'] }] } }, 400, /settings\.shareRoots\.0\.path/],
      [{ name: 'X', kind: 's3', settings: { bucket: 'Bad_Bucket', region: 'eu-west-1' }, secrets: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET } }, 400, /settings\.bucket/],
      [{ name: 'X', kind: 's3', settings: { bucket: 'files', region: 'eu-west-1' } }, 400, /secrets/],
      [{ name: 'X', kind: 'sftp', settings: { host: 'sftp.example', username: 'u', hostKeySha256: 'MD5:00' }, secrets: { password: SECRET } }, 400, /settings\.hostKeySha256/],
      ['not json', 400, /./],
    ];
    for (const [body, status, pattern] of cases) {
      const res = await create(body);
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.message, pattern, JSON.stringify(body));
      assert.ok(!JSON.stringify(res.body).includes(SECRET), 'no secret in the answer');
    }
    assert.deepEqual(await list(), before);
    assert.ok(!(await auditText()).slice(auditBefore).includes('connection.created'));
  });

  it('refuses loopback endpoints without allowLoopback, and link-local and metadata ones always (422 naming the field)', async () => {
    const before = await list();
    const s3 = (endpoint: string, allowLoopback = false) => ({
      name: 'Bucket',
      kind: 's3',
      settings: { bucket: 'files', region: 'eu-west-1', endpoint, forcePathStyle: true, allowLoopback },
      secrets: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET },
    });
    const sftp = (host: string, allowLoopback = false) => ({
      name: 'Remote',
      kind: 'sftp',
      settings: { host, port: 22, username: 'files', root: '/', hostKeySha256: `SHA256:${'x'.repeat(43)}`, allowLoopback },
      secrets: { password: SECRET },
    });
    const refused: Array<[unknown, string, RegExp]> = [
      [s3('http://127.0.0.1:9000'), 'settings.endpoint', /loopback/],
      [s3('http://localhost:9000'), 'settings.endpoint', /loopback/],
      [s3('http://[::1]:9000'), 'settings.endpoint', /loopback/],
      [s3('http://[::ffff:127.0.0.1]:9000'), 'settings.endpoint', /loopback/],
      [s3('http://169.254.169.254', true), 'settings.endpoint', /metadata/],
      [s3('http://[::ffff:169.254.169.254]', true), 'settings.endpoint', /metadata/],
      [s3('http://metadata.google.internal', true), 'settings.endpoint', /metadata/],
      [s3('http://100.100.100.200', true), 'settings.endpoint', /metadata/],
      [s3('http://0.0.0.0:9000', true), 'settings.endpoint', /unspecified/],
      [sftp('127.0.0.1'), 'settings.host', /loopback/],
      [sftp('localhost'), 'settings.host', /loopback/],
      [sftp('fe80::1', true), 'settings.host', /link-local/],
      [sftp('169.254.10.10', true), 'settings.host', /link-local/],
      [sftp('fd00:ec2::254', true), 'settings.host', /metadata/],
    ];
    for (const [body, field, reason] of refused) {
      const res = await create(body);
      assert.equal(res.status, 422, `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'connection_address_refused');
      assert.equal(res.body.field, field);
      assert.match(res.body.message, new RegExp(`^${field.replace('.', '\\.')}: address refused`));
      assert.match(res.body.message, reason);
      assert.ok(!JSON.stringify(res.body).includes(SECRET));
    }
    assert.deepEqual(await list(), before, 'nothing was created');
    const audit = await auditText();
    assert.ok(!audit.includes(SECRET) && !audit.includes(ACCESS_KEY), 'no secret in the audit export');
  });

  it('tests a connection: ok while its folder answers, not ok with the reason once it cannot be written', async () => {
    const root = tempDir();
    const created = await create({ name: 'Scratch', kind: 'local', settings: { root } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const ok = await api(`/api/v1/connections/${created.body.id}/test`, { method: 'POST' });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { ok: true, message: 'Connected: Scratch is reachable and writable.' });

    rmSync(root, { recursive: true, force: true });
    writeFileSync(root, 'a file where the folder was');
    const bad = await api(`/api/v1/connections/${created.body.id}/test`, { method: 'POST' });
    assert.equal(bad.status, 200);
    const result = (await bad.json()) as { ok: boolean; message: string };
    assert.equal(result.ok, false);
    assert.ok(result.message.length > 10 && !/\n\s+at /.test(result.message), `a human reason: ${result.message}`);
    const now = (await (await api(`/api/v1/connections/${created.body.id}`)).json()) as Connection;
    assert.equal(now.status, 'failing');
    assert.equal(now.statusMessage, result.message);
    assert.equal((await api('/api/v1/connections/00000000-0000-4000-8000-000000000000/test', { method: 'POST' })).status, 404);
    rmSync(root, { force: true });
    mkdirSync(root);
    const again = (await (await api(`/api/v1/connections/${created.body.id}/test`, { method: 'POST' })).json()) as { ok: boolean };
    assert.equal(again.ok, true);
    const events = JSON.parse(await auditText()) as Array<{ type: string; outcome: string; details: Record<string, unknown> }>;
    assert.deepEqual(
      events.filter((e) => e.type === 'connection.tested' && e.details.connectionId === created.body.id).map((e) => e.outcome),
      ['success', 'failure', 'success'],
    );
  });

  it('lists a folder page by page to those its share roots allow; others get 403 share_path_forbidden', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'docs', 'sub'), { recursive: true });
    mkdirSync(join(root, 'docs-private'));
    mkdirSync(join(root, 'team'));
    for (let i = 0; i < 5; i++) {
      writeFileSync(join(root, 'docs', `file-${i}.txt`), 'x'.repeat(i + 1));
    }
    writeFileSync(join(root, 'docs-private', 'salaries.csv'), 'secret');
    writeFileSync(join(root, 'team', 'plan.md'), '# plan');
    const created = await create({
      name: 'Shared drive',
      kind: 'local',
      settings: { root, shareRoots: [{ path: '/docs', roles: ['employee'], groups: [] }, { path: '/team', roles: [], groups: ['finance'] }] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    const entries = (path: string, token: string, extra = ''): Promise<Response> => api(`/api/v1/connections/${id}/entries?path=${encodeURIComponent(path)}${extra}`, { token });

    const seen: Entries['entries'] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await entries('/docs', employee, `&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(res.status, 200, await res.clone().text());
      const page = (await res.json()) as Entries;
      assert.ok(page.entries.length <= 2);
      seen.push(...page.entries);
      cursor = page.next;
      pages++;
    } while (cursor !== null && pages < 10);
    assert.equal(pages, 3);
    assert.deepEqual(
      seen.map((e) => [e.name, e.path, e.kind, e.kind === 'file' ? e.size : 0]),
      [
        ['file-0.txt', '/docs/file-0.txt', 'file', 1],
        ['file-1.txt', '/docs/file-1.txt', 'file', 2],
        ['file-2.txt', '/docs/file-2.txt', 'file', 3],
        ['file-3.txt', '/docs/file-3.txt', 'file', 4],
        ['file-4.txt', '/docs/file-4.txt', 'file', 5],
        ['sub', '/docs/sub', 'folder', 0],
      ],
    );
    assert.ok(seen.every((e) => !Number.isNaN(Date.parse(e.modifiedAt))));

    const team = await entries('/team', employee);
    assert.equal(team.status, 200, 'the group share root lets a member in');
    assert.deepEqual(((await team.json()) as Entries).entries.map((e) => e.path), ['/team/plan.md']);

    for (const [path, token, who] of [
      ['/', employee, 'the root, above the share root'],
      ['/docs-private', employee, 'a sibling whose name starts like the share root'],
      ['/docs', manager, 'a role not in the share root'],
      ['/team', manager, 'a group the user is not in'],
    ] as const) {
      const res = await entries(path, token);
      assert.equal(res.status, 403, who);
      assert.equal(((await res.json()) as ErrorBody).code, 'share_path_forbidden', who);
    }
    const adminRoot = await entries('/', admin);
    assert.equal(adminRoot.status, 200);
    assert.deepEqual(((await adminRoot.json()) as Entries).entries.map((e) => e.name), ['docs', 'docs-private', 'team']);

    for (const bad of ['/docs/../docs-private', '/docs/%2e%2e/docs-private', '/docs\\..\\docs-private', '/docs/\u0000']) {
      const res = await entries(bad, employee);
      assert.equal(res.status, 400, bad);
    }
    assert.equal((await entries('/docs/missing', employee)).status, 404);
    assert.equal((await api('/api/v1/connections/00000000-0000-4000-8000-000000000000/entries?path=/', { token: employee })).status, 404);
  });

  it('keeps send copies where the admin chose: an upload lands in the second folder and downloads; deleting it is refused while it is needed', async () => {
    const root = tempDir();
    const created = await create({ name: 'Send copies', kind: 'local', settings: { root } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;

    const unknown = await api('/api/v1/settings/send-storage', { method: 'PUT', body: { connectionId: 'nope' } });
    assert.equal(unknown.status, 422);
    assert.equal(((await unknown.json()) as ErrorBody).field, 'connectionId');
    const missing = await api('/api/v1/settings/send-storage', { method: 'PUT', body: {} });
    assert.equal(missing.status, 400);
    assert.match(((await missing.json()) as ErrorBody).message, /connectionId/);

    const put = await api('/api/v1/settings/send-storage', { method: 'PUT', body: { connectionId: id } });
    assert.equal(put.status, 200, await put.clone().text());
    const setting = (await put.json()) as { connectionId: string; updatedBy: string };
    assert.equal(setting.connectionId, id);
    assert.equal(setting.updatedBy, 'admin');
    const ready = await fetch(`${gw.baseUrl}/readyz`);
    assert.equal(ready.status, 200);

    const content = Buffer.from(`bytes for the second folder ${Date.now()}\n`.repeat(1000));
    const link = await createSendLink(gw.baseUrl, employee, [{ name: 'report.bin', content }]);
    assert.equal(link.status, 201, JSON.stringify(link.body));
    const stored = filesUnder(root);
    assert.equal(stored.length, 1, 'the copy is in the chosen folder');
    assert.ok(stored[0]!.bytes.equals(content));
    const url = link.body.grants[0]!.url;
    const meta = (await (await fetch(url, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string }> };
    const download = await fetch(`${url}/files/${meta.files[0]!.id}`);
    assert.equal(download.status, 200);
    assert.ok(Buffer.from(await download.arrayBuffer()).equals(content));

    const asSend = await api(`/api/v1/connections/${id}`, { method: 'DELETE' });
    assert.equal(asSend.status, 409);
    assert.equal(((await asSend.json()) as ErrorBody).code, 'connection_is_send_storage');
    const back = await api('/api/v1/settings/send-storage', { method: 'PUT', body: { connectionId: 'default' } });
    assert.equal(back.status, 200);
    const inUse = await api(`/api/v1/connections/${id}`, { method: 'DELETE' });
    assert.equal(inUse.status, 409);
    const body = (await inUse.json()) as ErrorBody;
    assert.equal(body.code, 'connection_in_use');
    assert.match(body.message, /1 link\(s\) that have not ended/);
    assert.ok((await list()).some((c) => c.id === id), 'still there');

    // A send storage that cannot be written is refused before it is chosen.
    const brokenRoot = tempDir();
    const broken = await create({ name: 'Soon broken', kind: 'local', settings: { root: brokenRoot } });
    assert.equal(broken.status, 201);
    rmSync(brokenRoot, { recursive: true, force: true });
    writeFileSync(brokenRoot, 'not a folder');
    const refused = await api('/api/v1/settings/send-storage', { method: 'PUT', body: { connectionId: broken.body.id } });
    assert.equal(refused.status, 422);
    const r = (await refused.json()) as ErrorBody;
    assert.equal(r.code, 'send_storage_unusable');
    assert.equal(r.field, 'connectionId');
    assert.equal(((await (await api('/api/v1/settings/send-storage')).json()) as { connectionId: string }).connectionId, 'default');
    rmSync(brokenRoot, { force: true });

    const events = JSON.parse(await auditText()) as Array<{ type: string; details: Record<string, unknown> }>;
    assert.deepEqual(
      events.filter((e) => e.type === 'settings.send_storage_changed').map((e) => [e.details.previous, e.details.connectionId]),
      [
        ['default', id],
        [id, 'default'],
      ],
    );
  });

  it('the built-in folder cannot be deleted while it holds send copies; only admins manage connections', async () => {
    const res = await api('/api/v1/connections/default', { method: 'DELETE' });
    assert.equal(res.status, 409);
    assert.equal(((await res.json()) as ErrorBody).code, 'connection_is_send_storage');
    for (const token of [employee, manager]) {
      assert.equal((await api('/api/v1/connections', { token })).status, 403);
      assert.equal((await api('/api/v1/connections', { method: 'POST', token, body: { name: 'x', kind: 'local', settings: { root: '/tmp' } } })).status, 403);
      assert.equal((await api('/api/v1/settings/send-storage', { method: 'PUT', token, body: { connectionId: 'default' } })).status, 403);
    }
  });

  it('`secrets rotate` re-seals under a new key and is audited; --help explains it', async () => {
    const help = await gw.cli('secrets', 'rotate', '--help');
    assert.match(help, /Re-seal every stored secret under a new data key/);
    const first = JSON.parse(await gw.cli('secrets', 'rotate', '--json')) as { keyId: string; resealed: number; retiredKeys: number };
    const second = JSON.parse(await gw.cli('secrets', 'rotate', '--json')) as { keyId: string; resealed: number; retiredKeys: number };
    assert.notEqual(first.keyId, second.keyId);
    assert.equal(second.retiredKeys, 1, 'the key of the first rotation is gone');
    const events = JSON.parse(await auditText()) as Array<{ type: string; details: Record<string, unknown> }>;
    assert.deepEqual(
      events.filter((e) => e.type === 'cli.secrets.rotate').map((e) => e.details.keyId),
      [first.keyId, second.keyId],
    );
  });

  it('no secret reaches an answer, the audit export or the logs', async () => {
    const everything = [JSON.stringify(await list()), await auditText(), gw.output()].join('\n');
    assert.ok(!everything.includes(SECRET), 'the secret key appears nowhere');
    assert.ok(!everything.includes(ACCESS_KEY), 'the access key id appears nowhere');
  });
});

describe('storage connections seen by two replicas sharing one database', () => {
  it('a change made through one replica is used by the other at once: send storage, a new root, a broken folder in /readyz', async () => {
    const rootA = mkdtempSync(join(tmpdir(), 'mft-conn-a-'));
    const rootB = mkdtempSync(join(tmpdir(), 'mft-conn-b-'));
    writeFileSync(join(rootB, 'only-in-b.txt'), 'b');
    const a = await TestGateway.start({ database: 'postgres' });
    const b = await TestGateway.start({ share: a });
    try {
      const admin = await a.token();
      const call = async (gw: TestGateway, path: string, method = 'GET', body?: unknown): Promise<Response> =>
        fetch(`${gw.baseUrl}${path}`, { method, headers: jsonHeaders(admin), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      assert.equal((await call(b, '/api/v1/connections/default/entries?path=/')).status, 200, 'b has built its driver of the built-in folder');
      const created = (await (await call(a, '/api/v1/connections', 'POST', { name: 'Replicated', kind: 'local', settings: { root: rootA } })).json()) as Connection;
      // b lists it, and builds (and caches) its driver for root A.
      assert.deepEqual((((await (await call(b, `/api/v1/connections/${created.id}/entries?path=/`)).json()) as Entries).entries), []);
      assert.equal((await call(a, '/api/v1/settings/send-storage', 'PUT', { connectionId: created.id })).status, 200);

      const content = Buffer.from('uploaded through the other replica\n');
      const link = await createSendLink(b.baseUrl, admin, [{ name: 'r.txt', content }]);
      assert.equal(link.status, 201, JSON.stringify(link.body));
      assert.equal(filesUnder(rootA).length, 1, 'b wrote the copy into the send storage chosen through a');
      assert.ok(filesUnder(rootA)[0]!.bytes.equals(content));

      assert.equal((await call(a, `/api/v1/connections/${created.id}`, 'PATCH', { settings: { root: rootB } })).status, 200);
      const listed = (await (await call(b, `/api/v1/connections/${created.id}/entries?path=/`)).json()) as Entries;
      assert.deepEqual(listed.entries.map((e) => e.name), ['only-in-b.txt'], 'b rebuilt its driver for the new root');

      rmSync(rootB, { recursive: true, force: true });
      writeFileSync(rootB, 'no longer a folder');
      const ready = await fetch(`${b.baseUrl}/readyz`);
      assert.equal(ready.status, 503);
      assert.match(((await ready.json()) as { checks: { storage: string } }).checks.storage, /^failing/);
    } finally {
      await b.stop();
      await a.stop();
      rmSync(rootA, { recursive: true, force: true });
      rmSync(rootB, { recursive: true, force: true });
    }
  });
});
