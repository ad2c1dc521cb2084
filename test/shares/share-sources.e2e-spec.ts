import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSendLink, jsonHeaders, TestGateway } from '@mft/testing';

interface ShareSource {
  connectionId: string;
  name: string;
  kind: string;
  roots: string[];
}

/** GET /api/v1/share-sources: where the signed-in person may share from, and nothing of a connection's settings. */
describe('the storage connections and folders a person may share from', () => {
  let gw: TestGateway;
  let root: string;
  let team: string;
  let archive: string;
  const tokens: Record<'admin' | 'designer' | 'employee' | 'manager' | 'auditor', string> = { admin: '', designer: '', employee: '', manager: '', auditor: '' };

  const get = (path: string, token: string | null): Promise<Response> => fetch(`${gw.baseUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const sources = async (token: string): Promise<{ text: string; body: ShareSource[] }> => {
    const res = await get('/api/v1/share-sources', token);
    const text = await res.text();
    assert.equal(res.status, 200, text);
    return { text, body: JSON.parse(text) as ShareSource[] };
  };
  const connection = async (name: string, settings: Record<string, unknown>): Promise<string> => {
    const res = await fetch(`${gw.baseUrl}/api/v1/connections`, { method: 'POST', headers: jsonHeaders(tokens.admin), body: JSON.stringify({ name, kind: 'local', settings }) });
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as { id: string }).id;
  };

  const setCreators = async (share: string[]): Promise<void> => {
    const res = await fetch(`${gw.baseUrl}/api/v1/policy`, { method: 'PUT', headers: jsonHeaders(tokens.admin), body: JSON.stringify({ creators: { send: ['admin', 'manager', 'employee'], share } }) });
    assert.equal(res.status, 200, await res.clone().text());
  };

  before(async () => {
    gw = await TestGateway.start();
    tokens.admin = await gw.token();
    await gw.addUser({ user: 'dee', roles: ['employee'], groups: ['design'] });
    await gw.addUser({ user: 'eve', roles: ['employee'] });
    await gw.addUser({ user: 'max', roles: ['manager'] });
    await gw.addUser({ user: 'aud', roles: ['auditor'] });
    [tokens.designer, tokens.employee, tokens.manager, tokens.auditor] = [await gw.token('dee'), await gw.token('eve'), await gw.token('max'), await gw.token('aud')];
    root = mkdtempSync(join(tmpdir(), 'mft-share-sources-'));
    for (const folder of ['projects/alpha', 'handbook', 'finance', 'archive']) {
      mkdirSync(join(root, folder), { recursive: true });
      writeFileSync(join(root, folder, 'readme.txt'), folder);
    }
    team = await connection('Team files', {
      root,
      shareRoots: [
        { path: '/projects', roles: [], groups: ['design'] },
        { path: '/projects/alpha', roles: ['employee'], groups: [] },
        { path: '/handbook', roles: ['employee'], groups: [] },
        { path: '/finance', roles: [], groups: ['finance'] },
      ],
    });
    archive = await connection('Archive', { root: join(root, 'archive'), shareRoots: [{ path: '/', roles: ['manager'], groups: [] }] });
    // The built-in folder holds the send copies: a root there is never offered, one above it hides them.
    const patched = await fetch(`${gw.baseUrl}/api/v1/connections/default`, {
      method: 'PATCH',
      headers: jsonHeaders(tokens.admin),
      body: JSON.stringify({ settings: { shareRoots: [{ path: '/send', roles: ['employee'], groups: [] }, { path: '/', roles: [], groups: ['design'] }] } }),
    });
    assert.equal(patched.status, 200, await patched.clone().text());
    const sent = await createSendLink(gw.baseUrl, tokens.admin, [{ name: 'copy.txt', content: 'a send copy' }]);
    assert.equal(sent.status, 201);
    await setCreators(['admin', 'manager', 'employee']);
  });
  after(async () => {
    await gw?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('an employee sees exactly the connections and outermost roots of their roles and groups, never the send copies', async () => {
    const designer = await sources(tokens.designer);
    assert.deepEqual(
      designer.body.filter((s) => s.connectionId !== 'default'),
      [{ connectionId: team, name: 'Team files', kind: 'local', roots: ['/handbook', '/projects'] }],
    );
    assert.deepEqual(designer.body.find((s) => s.connectionId === 'default')?.roots, ['/'], 'the root above the send copies, by group');

    const employee = await sources(tokens.employee);
    assert.deepEqual(employee.body, [{ connectionId: team, name: 'Team files', kind: 'local', roots: ['/handbook', '/projects/alpha'] }], 'the /send root is left out, and with it the built-in folder');

    const manager = await sources(tokens.manager);
    assert.deepEqual(manager.body, [{ connectionId: archive, name: 'Archive', kind: 'local', roots: ['/'] }]);
  });

  it('someone the policy does not let create share links is told so before browsing (422 policy_creators_share)', async () => {
    await setCreators(['admin', 'manager']);
    try {
      const res = await get('/api/v1/share-sources', tokens.employee);
      const body = (await res.json()) as { code: string; message: string };
      assert.equal(res.status, 422, JSON.stringify(body));
      assert.equal(body.code, 'policy_creators_share');
      assert.match(body.message, /creators\.share/);
      assert.equal((await get('/api/v1/share-sources', tokens.manager)).status, 200, 'a manager still may');
    } finally {
      await setCreators(['admin', 'manager', 'employee']);
    }
  });

  it('an admin sees every connection from its root', async () => {
    const admin = await sources(tokens.admin);
    assert.deepEqual(admin.body.map((s) => [s.connectionId, s.roots]).sort(), [[archive, ['/']], ['default', ['/']], [team, ['/']]].sort());
  });

  it('answers no settings, secrets or status: exactly connectionId, name, kind and roots', async () => {
    for (const token of [tokens.admin, tokens.designer]) {
      const { text, body } = await sources(token);
      for (const s of body) {
        assert.deepEqual(Object.keys(s).sort(), ['connectionId', 'kind', 'name', 'roots']);
      }
      assert.ok(!text.includes(root), 'the folder on the gateway stays unsaid');
      assert.doesNotMatch(text, /settings|secret|shareRoots|status|groups/);
    }
  });

  it('an auditor-only user gets 403, no credentials 401, an unknown parameter 400', async () => {
    const auditor = await get('/api/v1/share-sources', tokens.auditor);
    assert.equal(auditor.status, 403);
    const anonymous = await get('/api/v1/share-sources', null);
    assert.equal(anonymous.status, 401);
    const odd = await get('/api/v1/share-sources?all=1', tokens.designer);
    assert.equal(odd.status, 400);
    assert.match(((await odd.json()) as { message: string }).message, /\w+ \w+/);
  });

  it('browsing answers inside a root of theirs and refuses a path outside their roots (403 share_path_forbidden)', async () => {
    const inside = await get(`/api/v1/connections/${team}/entries?path=${encodeURIComponent('/projects/alpha')}`, tokens.employee);
    assert.equal(inside.status, 200);
    assert.deepEqual(((await inside.json()) as { entries: Array<{ name: string }> }).entries.map((e) => e.name), ['readme.txt']);
    for (const path of ['/projects', '/finance', '/', '/handbook-old']) {
      const res = await get(`/api/v1/connections/${team}/entries?path=${encodeURIComponent(path)}`, tokens.employee);
      const body = (await res.json()) as { code: string; message: string };
      assert.deepEqual([res.status, body.code], [403, 'share_path_forbidden'], path);
      assert.match(body.message, /^You may not share/);
    }
  });

  it('the send copies are never listed nor browsed on the connection that holds them, not even by an admin', async () => {
    for (const token of [tokens.designer, tokens.admin]) {
      const top = await get('/api/v1/connections/default/entries?path=/', token);
      assert.equal(top.status, 200);
      assert.ok(!((await top.json()) as { entries: Array<{ name: string }> }).entries.some((e) => e.name === 'send'));
      const copies = await get('/api/v1/connections/default/entries?path=/send', token);
      assert.deepEqual([copies.status, ((await copies.json()) as { code: string }).code], [403, 'share_path_forbidden']);
    }
  });
});
