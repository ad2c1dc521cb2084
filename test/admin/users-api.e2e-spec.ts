import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { addIdpPerson, CookieJar, follow, generateClientKey, oidcGatewayEnv, serveGateway, signInAtProvider, signInThroughIdp, TestGateway, TestIdp, type ClientKey } from '@mft/testing';
import { sendThroughApi } from '../webapp/staff-session.js';

const { Client } = ssh2;

interface ManagedUser {
  id: string;
  user: string;
  email: string | null;
  displayName: string | null;
  roles: string[];
  rolesFrom: 'local' | 'idp';
  idp: { id: string; name: string } | null;
  groups: string[];
  disabled: boolean;
  disabledAt: string | null;
  createdAt: string;
  lastSignInAt: string | null;
  counts: { tokens: number; sshKeys: number; appPasswords: number };
}

interface OwnedToken {
  id: string;
  name: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  owner: { id: string; user: string; displayName: string | null };
}

interface AuditRecord {
  type: string;
  actor: string | null;
  outcome: string;
  details: Record<string, unknown>;
}

/** Whether an SFTP sign-in with this key or password gets in (a real ssh2 client). */
function sftpSignIn(port: number, username: string, auth: { privateKey: Buffer } | { password: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const c = new Client();
    let ready = false;
    c.on('ready', () => {
      ready = true;
      c.end();
    });
    c.on('error', () => undefined);
    c.on('close', () => resolve(ready));
    c.connect({ host: '127.0.0.1', port, username, readyTimeout: 15_000, tryKeyboard: false, ...auth });
  });
}

/** Signs in over SFTP and stays connected; resolves, once in, with a promise of the connection's close. */
async function openSftp(port: number, username: string, key: ClientKey): Promise<{ closed: Promise<void> }> {
  const c = new Client();
  const closed = new Promise<void>((resolve) => c.on('close', () => resolve()));
  c.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    c.on('ready', () => resolve());
    c.on('error', reject);
    c.connect({ host: '127.0.0.1', port, username, privateKey: readFileSync(key.privateKeyFile) });
  });
  return { closed };
}

/** User administration over the API (and the CLI, which does the same), on a real gateway with a real OpenID provider and the SFTP ingress. */
describe('user administration: GET/PATCH /api/v1/users and every user\'s tokens', { timeout: 240_000 }, () => {
  let idp: TestIdp;
  let gw: TestGateway;
  let admin: string;
  const tokens: Record<string, string> = {};
  const secret = randomBytes(24).toString('base64url');

  before(async () => {
    idp = await TestIdp.listen();
    gw = await TestGateway.start({ env: { ...oidcGatewayEnv(idp, secret), SFTP_PORT: 'auto', SFTP_RECHECK_SECONDS: '1' } });
    serveGateway(idp, gw.baseUrl, secret);
    admin = await gw.token();
    await gw.addUser({ user: 'alice', roles: ['employee'], email: 'alice@corp.example', groups: ['sales'] });
    await gw.addUser({ user: 'bob', roles: ['manager'], email: 'bob@corp.example', groups: ['engineering', 'sales'] });
    await gw.addUser({ user: 'carol', roles: ['auditor'], email: 'carol@audit.example' });
    await gw.addUser({ user: 'under_score', roles: ['employee'] });
    for (const name of ['alice', 'bob', 'carol']) {
      tokens[name] = await gw.token(name);
    }
    addIdpPerson(idp, 'sam');
    await signInThroughIdp(new CookieJar(), gw.baseUrl, 'sam');
  });
  after(async () => {
    await gw?.stop();
    await idp?.close();
  });

  async function api<T = unknown>(who: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T; headers: Headers }> {
    const res = await fetch(`${gw.baseUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[who] ?? who}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
  }

  const asAdmin = <T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; headers: Headers }> => api<T>(admin, method, path, body);

  async function userNamed(name: string): Promise<ManagedUser> {
    const res = await asAdmin<ManagedUser[]>('GET', `/users?q=${encodeURIComponent(name)}`);
    const found = res.body.find((u) => u.user === name);
    assert.ok(found, `${name} is listed`);
    return found;
  }

  async function audit(type: string): Promise<AuditRecord[]> {
    const res = await fetch(`${gw.baseUrl}/api/v1/audit/events?type=${type}&format=jsonl`, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(res.status, 200);
    return (await res.text())
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditRecord);
  }

  it('lists every user in user-name order with where their roles come from, their groups and their live credentials', async () => {
    const res = await asAdmin<ManagedUser[]>('GET', '/users');
    assert.equal(res.status, 200);
    assert.ok(Array.isArray(res.body));
    assert.deepEqual(
      res.body.map((u) => u.user),
      ['admin', 'alice', 'bob', 'carol', 'sam', 'under_score'],
    );
    const alice = res.body.find((u) => u.user === 'alice')!;
    assert.deepEqual(Object.keys(alice).sort(), ['counts', 'createdAt', 'disabled', 'disabledAt', 'displayName', 'email', 'groups', 'id', 'idp', 'lastSignInAt', 'roles', 'rolesFrom', 'user']);
    assert.equal(alice.email, 'alice@corp.example');
    assert.deepEqual(alice.roles, ['employee']);
    assert.equal(alice.rolesFrom, 'local');
    assert.equal(alice.idp, null);
    assert.deepEqual(alice.groups, ['sales']);
    assert.equal(alice.disabled, false);
    assert.equal(alice.disabledAt, null);
    assert.ok(Date.parse(alice.createdAt) > Date.now() - 600_000);
    assert.equal(alice.lastSignInAt, null, 'alice never signed in');
    assert.deepEqual(alice.counts, { tokens: 1, sshKeys: 0, appPasswords: 0 });
    const sam = res.body.find((u) => u.user === 'sam')!;
    assert.equal(sam.rolesFrom, 'idp');
    assert.deepEqual(sam.idp, { id: 'oidc:oidc', name: 'Single sign-on' });
    assert.equal(sam.displayName, 'Sam Example');
    assert.equal(sam.email, 'sam@example.test');
    assert.ok(sam.lastSignInAt && Date.parse(sam.lastSignInAt) > Date.now() - 600_000, 'the SSO sign-in is recorded');

    const one = await asAdmin<ManagedUser>('GET', `/users/${alice.id}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, alice);
    assert.equal((await asAdmin('GET', `/users/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`)).status, 404);
  });

  it('searches user names, emails and display names case-insensitively, filters by role, group and state, and pages with X-Next-Cursor', async () => {
    const names = async (query: string): Promise<string[]> => {
      const res = await asAdmin<ManagedUser[]>('GET', `/users?${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.map((u) => u.user);
    };
    assert.deepEqual(await names('q=ALI'), ['alice']);
    assert.deepEqual(await names('q=corp.EXAMPLE'), ['alice', 'bob']);
    assert.deepEqual(await names('q=sam%20exa'), ['sam'], 'the display name');
    assert.deepEqual(await names('q=_'), ['under_score'], 'an underscore is itself, not a wildcard');
    assert.deepEqual(await names('q=%25'), [], 'nor is a percent sign');
    assert.deepEqual(await names(`q=${encodeURIComponent("' OR 1=1 --")}`), []);
    assert.deepEqual(await names('role=manager'), ['bob']);
    assert.deepEqual(await names('role=employee'), ['alice', 'sam', 'under_score']);
    assert.deepEqual(await names('group=sales'), ['alice', 'bob']);
    assert.deepEqual(await names('group=sales&role=employee'), ['alice']);
    assert.deepEqual(await names('disabled=true'), []);
    assert.equal((await names('disabled=false')).length, 6);

    const seen: string[] = [];
    let path = '/users?limit=2';
    for (let pages = 0; pages < 10; pages++) {
      const res = await asAdmin<ManagedUser[]>('GET', path);
      assert.equal(res.status, 200);
      assert.ok(res.body.length <= 2);
      seen.push(...res.body.map((u) => u.user));
      const next = res.headers.get('x-next-cursor');
      if (!next) {
        assert.equal(res.headers.get('link'), null);
        break;
      }
      assert.equal(next, res.body[res.body.length - 1]!.id);
      const link = /^<([^>]+)>; rel="next"$/.exec(res.headers.get('link') ?? '');
      assert.ok(link, 'a Link header names the next page');
      path = link[1]!.replace(/^\/api\/v1/, '');
    }
    assert.deepEqual(seen, ['admin', 'alice', 'bob', 'carol', 'sam', 'under_score']);
  });

  it('refuses malformed queries and bodies with 400 naming the field, and anyone but an admin with 403', async () => {
    const alice = await userNamed('alice');
    const refused = async (res: Promise<{ status: number; body: unknown }>, status: number, pattern: RegExp): Promise<void> => {
      const r = await res;
      assert.equal(r.status, status, JSON.stringify(r.body));
      const body = r.body as { code: string; message: string };
      assert.match(body.message, pattern);
      assert.equal(typeof body.code, 'string');
      assert.doesNotMatch(JSON.stringify(body), /\.js:\d+/, 'no stack');
    };
    await refused(asAdmin('GET', '/users?q=a%00b'), 400, /\bq\b/);
    await refused(asAdmin('GET', '/users?role=root'), 400, /role must be one of: admin, manager, employee, auditor, external/);
    await refused(asAdmin('GET', '/users?colour=blue'), 400, /colour/);
    await refused(asAdmin('GET', '/users?cursor=nope'), 400, /cursor/);
    await refused(asAdmin('GET', '/users/not-a-uuid'), 400, /user id/);
    await refused(asAdmin('PATCH', `/users/${alice.id}`, { disabled: true, admin: true }), 400, /"admin"/);
    await refused(asAdmin('PATCH', `/users/${alice.id}`, { roles: ['root'] }), 400, /roles\.0 must be one of/);
    await refused(asAdmin('PATCH', `/users/${alice.id}`, { roles: ['admin\u0000'] }), 400, /roles/);
    await refused(asAdmin('PATCH', `/users/${alice.id}`, { roles: [] }), 400, /roles must name at least one role/);
    await refused(asAdmin('PATCH', `/users/${alice.id}`, { disabled: 'yes' }), 400, /disabled/);
    await refused(asAdmin('PATCH', `/users/${alice.id}`, {}), 400, /disabled or roles/);
    await refused(asAdmin('PATCH', `/users/${alice.id}`, '{"disabled": tru'), 400, /./);
    for (const who of ['alice', 'bob', 'carol']) {
      await refused(api(who, 'GET', '/users'), 403, /admin/);
      await refused(api(who, 'GET', `/users/${alice.id}`), 403, /admin/);
      await refused(api(who, 'PATCH', `/users/${alice.id}`, { disabled: true }), 403, /admin/);
      await refused(api(who, 'GET', `/users/${alice.id}/tokens`), 403, /admin/);
      await refused(api(who, 'GET', '/tokens?all=true'), 403, /admin/);
    }
    assert.equal((await userNamed('alice')).disabled, false, 'nothing changed');
    const anonymous = await fetch(`${gw.baseUrl}/api/v1/users`);
    assert.equal(anonymous.status, 401);
  });

  it('sets the roles of a local user, which take effect at once for their token, audited with from and to', async () => {
    const alice = await userNamed('alice');
    assert.equal((await api('alice', 'GET', '/users')).status, 403);
    const promoted = await asAdmin<ManagedUser>('PATCH', `/users/${alice.id}`, { roles: ['employee', 'admin'] });
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
    assert.deepEqual(promoted.body.roles, ['admin', 'employee']);
    assert.equal((await api('alice', 'GET', '/users')).status, 200, 'her token now acts as an admin');
    const me = await api<{ roles: string[] }>('alice', 'GET', '/me');
    assert.deepEqual(me.body.roles, ['admin', 'employee']);
    const back = await asAdmin<ManagedUser>('PATCH', `/users/${alice.id}`, { roles: ['employee'] });
    assert.deepEqual(back.body.roles, ['employee']);
    assert.equal((await api('alice', 'GET', '/users')).status, 403);
    const unchanged = (await audit('user.roles_changed')).length;
    assert.equal((await asAdmin('PATCH', `/users/${alice.id}`, { roles: ['employee'] })).status, 200, 'the same roles again change nothing');
    const events = (await audit('user.roles_changed')).filter((e) => e.details.username === 'alice');
    assert.equal((await audit('user.roles_changed')).length, unchanged);
    assert.deepEqual(
      events.map((e) => [e.actor, e.details.from, e.details.to]),
      [
        ['user:admin', ['employee'], ['admin', 'employee']],
        ['user:admin', ['admin', 'employee'], ['employee']],
      ],
    );
  });

  it("refuses to set an SSO user's roles (they come from the identity provider), with a 409 that says so", async () => {
    const sam = await userNamed('sam');
    const res = await asAdmin<{ code: string; message: string }>('PATCH', `/users/${sam.id}`, { roles: ['admin'] });
    assert.equal(res.status, 409);
    assert.equal(res.body.code, 'roles_from_idp');
    assert.match(res.body.message, /come from Single sign-on/);
    assert.deepEqual((await userNamed('sam')).roles, ['employee']);
  });

  it('refuses an admin disabling themselves, and leaving the gateway without an enabled admin (API and CLI alike)', async () => {
    const me = await userNamed('admin');
    const self = await asAdmin<{ code: string; message: string }>('PATCH', `/users/${me.id}`, { disabled: true });
    assert.equal(self.status, 409);
    assert.equal(self.body.code, 'cannot_disable_yourself');
    assert.match(self.body.message, /cannot disable your own account/);
    const demote = await asAdmin<{ code: string; message: string }>('PATCH', `/users/${me.id}`, { roles: ['employee'] });
    assert.equal(demote.status, 409);
    assert.equal(demote.body.code, 'last_admin');
    assert.match(demote.body.message, /admin is the last enabled administrator/);
    await assert.rejects(gw.cli('user', 'disable', '--user', 'admin'), /last enabled administrator/);
    const after = await userNamed('admin');
    assert.equal(after.disabled, false);
    assert.deepEqual(after.roles, ['admin']);
    assert.equal((await asAdmin('GET', '/me')).status, 200);
  });

  it('disabling a user ends their browser session, API token, SSH key, app password and open SFTP session at once; their links keep working; enabling brings none back', async () => {
    // Sam, an SSO employee: a browser session, a token, a key, an app password, a link, an open SFTP session.
    const browser = await signInThroughIdp(new CookieJar(), gw.baseUrl, 'sam');
    const cookieMe = (): Promise<Response> => fetch(`${gw.baseUrl}/api/v1/me`, { headers: { cookie: browser.header() } });
    assert.equal((await cookieMe()).status, 200);
    const samToken = await gw.token('sam');
    const key = generateClientKey('ed25519');
    assert.equal((await api(samToken, 'POST', '/me/ssh-keys', { name: 'laptop', publicKey: key.publicKey })).status, 201);
    const appPassword = await api<{ password: string }>(samToken, 'POST', '/me/app-passwords', { name: 'backup' });
    assert.equal(appPassword.status, 201);
    const link = await sendThroughApi(gw, samToken, 'handbook.txt', ['reader@partner.example']);
    const grantUrl = link.grants[0]!.url;
    assert.equal(await sftpSignIn(gw.sftpPort, 'sam', { password: appPassword.body.password }), true, 'the app password signs in');
    const open = await openSftp(gw.sftpPort, 'sam', key);
    const sam = await userNamed('sam');
    assert.deepEqual(sam.counts, { tokens: 1, sshKeys: 1, appPasswords: 1 });

    const res = await asAdmin<ManagedUser>('PATCH', `/users/${sam.id}`, { disabled: true });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.disabled, true);
    assert.ok(res.body.disabledAt && Date.parse(res.body.disabledAt) > Date.now() - 60_000);
    assert.deepEqual(res.body.counts, { tokens: 0, sshKeys: 0, appPasswords: 0 });

    assert.equal((await cookieMe()).status, 401, 'the open browser session stops at its next request');
    assert.equal((await api(samToken, 'GET', '/me')).status, 401, 'the API token stops');
    await Promise.race([open.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the open SFTP session was not closed')), 15_000))]);
    assert.equal(await sftpSignIn(gw.sftpPort, 'sam', { privateKey: readFileSync(key.privateKeyFile) }), false, 'the key is refused');
    assert.equal(await sftpSignIn(gw.sftpPort, 'sam', { password: appPassword.body.password }), false, 'the app password is refused');
    const page = await fetch(grantUrl, { headers: { accept: 'application/json' } });
    assert.equal(page.status, 200, 'the link keeps working');
    const { files } = (await page.json()) as { files: Array<{ id: string }> };
    const download = await fetch(`${grantUrl}/files/${files[0]!.id}`);
    assert.equal(download.status, 200);
    assert.equal(await download.text(), 'contents of handbook.txt');

    const [event] = (await audit('user.disabled')).filter((e) => e.details.username === 'sam');
    assert.ok(event, 'user.disabled is audited');
    assert.equal(event.actor, 'user:admin');
    assert.deepEqual({ ...event.details }, { userId: sam.id, username: 'sam', sessions: 2, tokens: 1, sshKeys: 1, appPasswords: 1 });
    const repeat = await asAdmin<ManagedUser>('PATCH', `/users/${sam.id}`, { disabled: true });
    assert.equal(repeat.status, 200);
    assert.equal(repeat.body.disabledAt, res.body.disabledAt, 'disabling again changes nothing');
    assert.equal((await audit('user.disabled')).filter((e) => e.details.username === 'sam').length, 1);
    assert.deepEqual((await asAdmin<ManagedUser[]>('GET', '/users?disabled=true')).body.map((u) => u.user), ['sam']);

    // Signing in again through the identity provider is refused with a page that says why.
    const again = new CookieJar();
    const callback = await signInAtProvider(again, `${gw.baseUrl}/auth/oidc/login`, 'sam');
    const refused = await follow(again, callback);
    const html = await refused.res.text();
    assert.equal(refused.res.status, 403, html.slice(0, 300));
    assert.match(refused.res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(html, /This account is disabled on the gateway\. Ask an administrator\./);
    assert.doesNotMatch(html, /\.js:\d+/);
    assert.equal(again.get('mft_session'), undefined, 'no session');
    const failed = (await audit('auth.login_failed')).filter((e) => e.details.reason === 'user_disabled');
    assert.equal(failed.length, 1);

    const enabled = await asAdmin<ManagedUser>('PATCH', `/users/${sam.id}`, { disabled: false });
    assert.equal(enabled.status, 200);
    assert.equal(enabled.body.disabled, false);
    assert.equal(enabled.body.disabledAt, null);
    assert.deepEqual(enabled.body.counts, { tokens: 0, sshKeys: 0, appPasswords: 0 }, 'nothing comes back');
    assert.equal((await audit('user.enabled')).filter((e) => e.details.username === 'sam' && e.actor === 'user:admin').length, 1);
    assert.equal((await cookieMe()).status, 401);
    assert.equal((await api(samToken, 'GET', '/me')).status, 401);
    assert.equal(await sftpSignIn(gw.sftpPort, 'sam', { privateKey: readFileSync(key.privateKeyFile) }), false);
    assert.equal(await sftpSignIn(gw.sftpPort, 'sam', { password: appPassword.body.password }), false);
    const fresh = await gw.token('sam');
    assert.deepEqual((await api(fresh, 'GET', '/me/ssh-keys')).body, { keys: [] }, 'the revoked key is not in their list');
    assert.deepEqual((await api(fresh, 'GET', '/me/app-passwords')).body, { appPasswords: [] });
    const history = await asAdmin<OwnedToken[]>('GET', `/users/${sam.id}/tokens`);
    assert.equal(history.status, 200);
    assert.equal(history.body.length, 2);
    assert.ok(history.body.every((t) => t.owner.user === 'sam'));
    assert.equal(history.body.filter((t) => t.revokedAt === null).length, 1, 'only the new token is live');
    const jar = await signInThroughIdp(new CookieJar(), gw.baseUrl, 'sam');
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/me`, { headers: { cookie: jar.header() } })).status, 200, 'enabled, sam signs in again');
  });

  it('the CLI disables and enables through the same rules and audit', async () => {
    const carol = await userNamed('carol');
    const out = await gw.cli('user', 'disable', '--user', 'carol');
    assert.match(out, /"disabled":true/);
    assert.deepEqual((JSON.parse(out) as { ended: unknown }).ended, { sessions: 0, tokens: 1, sshKeys: 0, appPasswords: 0 });
    assert.equal((await api('carol', 'GET', '/me')).status, 401);
    assert.equal((await asAdmin<ManagedUser>('GET', `/users/${carol.id}`)).body.disabled, true);
    const [event] = (await audit('user.disabled')).filter((e) => e.details.username === 'carol');
    assert.equal(event?.actor, 'cli');
    assert.match(await gw.cli('user', 'enable', '--user', 'carol'), /"disabled":false/);
    assert.equal((await api('carol', 'GET', '/me')).status, 401, 'her token stays revoked');
    assert.equal((await asAdmin<ManagedUser>('GET', `/users/${carol.id}`)).body.disabled, false);
    assert.equal((await audit('user.enabled')).filter((e) => e.details.username === 'carol' && e.actor === 'cli').length, 1);
    await assert.rejects(gw.cli('user', 'disable', '--user', 'nobody'), /no user named "nobody"/);
    tokens.carol = await gw.token('carol');
  });

  it("lists every user's live tokens with their owners; an admin revokes someone else's token, which stops at once, audited with its owner", async () => {
    const bob = await userNamed('bob');
    const all = await asAdmin<OwnedToken[]>('GET', '/tokens?all=true');
    assert.equal(all.status, 200);
    assert.ok(all.body.every((t) => t.revokedAt === null));
    const bobs = all.body.filter((t) => t.owner.user === 'bob');
    assert.equal(bobs.length, 1);
    const token = bobs[0]!;
    assert.deepEqual(Object.keys(token).sort(), ['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'owner', 'revokedAt', 'scopes']);
    assert.deepEqual(token.owner, { id: bob.id, user: 'bob', displayName: null });
    assert.equal(token.name, 'cli');
    const owners = new Set(all.body.map((t) => t.owner.user));
    for (const name of ['admin', 'alice', 'bob', 'carol', 'sam']) {
      assert.ok(owners.has(name), `${name}'s token is listed`);
    }
    const paged = await asAdmin<OwnedToken[]>('GET', '/tokens?all=true&limit=2');
    assert.equal(paged.body.length, 2);
    const next = paged.headers.get('x-next-cursor');
    assert.ok(next);
    const second = await asAdmin<OwnedToken[]>('GET', `/tokens?all=true&limit=2&cursor=${next}`);
    assert.deepEqual([...paged.body, ...second.body].map((t) => t.id), all.body.slice(0, 4).map((t) => t.id));

    const own = await asAdmin<Array<Record<string, unknown>>>('GET', '/tokens');
    assert.deepEqual(Object.keys(own.body[0]!).sort(), ['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'revokedAt', 'scopes'], 'your own list is as it was');

    assert.equal((await api('alice', 'DELETE', `/tokens/${token.id}`)).status, 404, "someone who is not an admin cannot revoke another's token");
    assert.equal((await api('bob', 'GET', '/me')).status, 200);
    const narrow = await asAdmin<{ token: string }>('POST', '/tokens', { name: 'read only', scopes: ['links:read'], expiresInDays: 1 });
    const scoped = await api<{ code: string }>(narrow.body.token, 'GET', '/tokens?all=true');
    assert.equal(scoped.status, 403);
    assert.equal(scoped.body.code, 'token_scope_missing');

    assert.equal((await asAdmin('DELETE', `/tokens/${token.id}`)).status, 204);
    assert.equal((await api('bob', 'GET', '/me')).status, 401, "bob's token stops working");
    assert.equal((await asAdmin('DELETE', `/tokens/${token.id}`)).status, 404, 'already revoked');
    const history = await asAdmin<OwnedToken[]>('GET', `/users/${bob.id}/tokens`);
    assert.ok(history.body.find((t) => t.id === token.id)?.revokedAt);
    assert.ok(!(await asAdmin<OwnedToken[]>('GET', '/tokens?all=true')).body.some((t) => t.id === token.id));
    const [event] = (await audit('token.revoked')).filter((e) => e.details.tokenId === token.id);
    assert.equal(event?.actor, 'user:admin');
    assert.deepEqual({ ...event.details }, { tokenId: token.id, username: 'bob', revokedBy: 'admin' });
  });

  it('documents every users route and the admin token views in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${gw.baseUrl}/api/docs`, { headers: { accept: 'application/json' } })).json()) as {
      paths: Record<string, Record<string, { summary?: string; responses?: Record<string, unknown> }>>;
    };
    for (const [path, method] of [
      ['/api/v1/users', 'get'],
      ['/api/v1/users/{id}', 'get'],
      ['/api/v1/users/{id}', 'patch'],
      ['/api/v1/users/{id}/tokens', 'get'],
      ['/api/v1/tokens', 'get'],
      ['/api/v1/tokens/{id}', 'delete'],
    ] as const) {
      const op = doc.paths[path]?.[method];
      assert.ok(op?.summary, `${method} ${path} has a summary`);
      assert.ok(op.responses && Object.keys(op.responses).length > 0);
    }
  });
});
