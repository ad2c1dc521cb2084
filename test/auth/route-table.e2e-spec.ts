import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSendLink, TestGateway } from '@mft/testing';

type Role = 'admin' | 'manager' | 'employee' | 'auditor' | 'external';
const ROLES: Role[] = ['admin', 'manager', 'employee', 'auditor', 'external'];
const EVERYONE = ROLES;

const LINK_USERS: readonly Role[] = ['admin', 'manager', 'employee', 'external'];

/**
 * Who may call each /api/v1 route, and the exact status an allowed caller gets for the probe below
 * (ids that exist nowhere, a body of `{}`), so that a 500 never passes for "allowed". A route the
 * OpenAPI document lists that is not in this table fails the test: every new route must be given
 * its rule here, on purpose.
 */
const TABLE: Record<string, { readonly roles: readonly Role[]; readonly status: number; readonly statusOf?: Partial<Record<Role, number>>; readonly public?: true }> = {
  'GET /api/v1/me': { roles: EVERYONE, status: 200 },
  // External users pass the door; the policy then refuses them (422) unless creators.externalUsers is on.
  // A JSON body is refused before that: a send link is uploaded as multipart/form-data.
  'POST /api/v1/links': { roles: LINK_USERS, status: 400 },
  'GET /api/v1/links': { roles: LINK_USERS, status: 200 },
  'GET /api/v1/links/{id}': { roles: LINK_USERS, status: 404 },
  'GET /api/v1/links/{id}/activity': { roles: LINK_USERS, status: 404 },
  'DELETE /api/v1/links/{id}': { roles: LINK_USERS, status: 404 },
  'DELETE /api/v1/links/{id}/grants/{grantId}': { roles: LINK_USERS, status: 404 },
  'POST /api/v1/links/{id}/grants/{grantId}/resend': { roles: LINK_USERS, status: 404 },
  'POST /api/v1/links/{id}/grants/{grantId}/reset': { roles: LINK_USERS, status: 404 },
  'GET /api/v1/mail/messages': { roles: ['admin'], status: 200 },
  // Email templates: the probe names a template that does not exist.
  'GET /api/v1/mail/templates': { roles: ['admin'], status: 200 },
  'GET /api/v1/mail/templates/{name}': { roles: ['admin'], status: 404 },
  // `{}` lacks the subject, text and html (checked before the template is looked up).
  'PUT /api/v1/mail/templates/{name}': { roles: ['admin'], status: 400 },
  'DELETE /api/v1/mail/templates/{name}': { roles: ['admin'], status: 404 },
  'POST /api/v1/mail/templates/{name}/preview': { roles: ['admin'], status: 404 },
  'GET /api/v1/mail/templates/{name}/versions': { roles: ['admin'], status: 404 },
  'POST /api/v1/mail/templates/{name}/versions/{version}/restore': { roles: ['admin'], status: 404 },
  'GET /api/v1/audit/events': { roles: ['admin', 'auditor'], status: 200 },
  'GET /api/v1/audit/verify': { roles: ['admin', 'auditor'], status: 200 },
  // `{}` lacks the name and scopes of the token.
  'POST /api/v1/tokens': { roles: EVERYONE, status: 400 },
  'GET /api/v1/tokens': { roles: EVERYONE, status: 200 },
  'GET /api/v1/tokens/scopes': { roles: EVERYONE, status: 200 },
  'DELETE /api/v1/tokens/{id}': { roles: EVERYONE, status: 404 },
  // User administration: `{}` asks for no change (400) before the user is looked up.
  'GET /api/v1/users': { roles: ['admin'], status: 200 },
  'GET /api/v1/users/{id}': { roles: ['admin'], status: 404 },
  'PATCH /api/v1/users/{id}': { roles: ['admin'], status: 400 },
  'GET /api/v1/users/{id}/tokens': { roles: ['admin'], status: 404 },
  // SFTP credentials are each person's own, like tokens; `{}` lacks the public key, or the name.
  'POST /api/v1/me/ssh-keys': { roles: EVERYONE, status: 400 },
  'GET /api/v1/me/ssh-keys': { roles: EVERYONE, status: 200 },
  'DELETE /api/v1/me/ssh-keys/{id}': { roles: EVERYONE, status: 404 },
  'POST /api/v1/me/app-passwords': { roles: EVERYONE, status: 400 },
  'GET /api/v1/me/app-passwords': { roles: EVERYONE, status: 200 },
  'DELETE /api/v1/me/app-passwords/{id}': { roles: EVERYONE, status: 404 },
  'GET /api/v1/policy': { roles: ['admin'], status: 200 },
  // `{}` is the default policy, the one in force: nothing changes.
  'PUT /api/v1/policy': { roles: ['admin'], status: 200 },
  'POST /api/v1/policy/dry-run': { roles: ['admin'], status: 200 },
  'GET /api/v1/policy/effective': { roles: LINK_USERS, status: 200 },
  'GET /api/v1/policy/versions': { roles: ['admin'], status: 200 },
  'GET /api/v1/policy/versions/{version}': { roles: ['admin'], status: 404 },
  'POST /api/v1/connections': { roles: ['admin'], status: 400 },
  'GET /api/v1/connections': { roles: ['admin'], status: 200 },
  'GET /api/v1/connections/{id}': { roles: ['admin'], status: 404 },
  'PATCH /api/v1/connections/{id}': { roles: ['admin'], status: 404 },
  'DELETE /api/v1/connections/{id}': { roles: ['admin'], status: 404 },
  'POST /api/v1/connections/{id}/test': { roles: ['admin'], status: 404 },
  // The default policy lets only admins and managers create share links (creators.share): employees are told so.
  'GET /api/v1/share-sources': { roles: ['admin', 'manager', 'employee'], status: 200, statusOf: { employee: 422 } },
  'GET /api/v1/connections/{id}/entries': { roles: ['admin', 'manager', 'employee'], status: 404 },
  'GET /api/v1/settings/send-storage': { roles: ['admin'], status: 200 },
  'PUT /api/v1/settings/send-storage': { roles: ['admin'], status: 400 },
  'OPTIONS /api/v1/uploads': { roles: LINK_USERS, status: 204 },
  // The probe sends no Tus-Resumable header: 412 once the door lets the caller in.
  'POST /api/v1/uploads': { roles: LINK_USERS, status: 412 },
  'HEAD /api/v1/uploads/{id}': { roles: LINK_USERS, status: 412 },
  'PATCH /api/v1/uploads/{id}': { roles: LINK_USERS, status: 412 },
  'DELETE /api/v1/uploads/{id}': { roles: LINK_USERS, status: 412 },
  // `{}` lacks the name and recipients of the folder.
  'POST /api/v1/drop-folders': { roles: ['admin'], status: 400 },
  'GET /api/v1/drop-folders': { roles: ['admin'], status: 200 },
  'GET /api/v1/drop-folders/{id}': { roles: ['admin'], status: 404 },
  // `{}` changes nothing, of a folder that does not exist.
  'PATCH /api/v1/drop-folders/{id}': { roles: ['admin'], status: 404 },
  'DELETE /api/v1/drop-folders/{id}': { roles: ['admin'], status: 404 },
  // External users pass the door; the default policy then says they may not send (422).
  'GET /api/v1/me/drop-folders': { roles: LINK_USERS, status: 200, statusOf: { external: 422 } },
  // `{}` is the built-in brand: the default brand returns to it.
  'GET /api/v1/branding': { roles: ['admin'], status: 200 },
  'PUT /api/v1/branding': { roles: ['admin'], status: 200 },
  // The probe sends JSON, not an image.
  'PUT /api/v1/branding/logo': { roles: ['admin'], status: 415 },
  'DELETE /api/v1/branding/logo': { roles: ['admin'], status: 404 },
  'GET /api/v1/brands': { roles: ['admin'], status: 200 },
  // `{}` is a brand with every default.
  'POST /api/v1/brands': { roles: ['admin'], status: 201 },
  'GET /api/v1/brands/{id}': { roles: ['admin'], status: 404 },
  'PUT /api/v1/brands/{id}': { roles: ['admin'], status: 404 },
  'DELETE /api/v1/brands/{id}': { roles: ['admin'], status: 404 },
  'GET /api/v1/brands/{id}/logo': { roles: ['admin'], status: 404 },
  'PUT /api/v1/brands/{id}/logo': { roles: ['admin'], status: 415 },
  'DELETE /api/v1/brands/{id}/logo': { roles: ['admin'], status: 404 },
  // Public (clients check a host key before they have credentials); this gateway runs no SFTP ingress, so there are no host keys yet.
  'GET /api/v1/sftp/host-key': { roles: EVERYONE, status: 404, public: true },
};

/** Path parameters of the probe: values that are well-formed and name nothing. */
const PROBE_PARAMS: Record<string, string> = { version: '999999', name: 'no-such-template' };

const ZERO = '00000000-0000-4000-8000-000000000000';

describe('who may call which API route', () => {
  let gw: TestGateway;
  const tokens = {} as Record<Role, string>;

  before(async () => {
    gw = await TestGateway.start();
    tokens.admin = await gw.token('admin');
    for (const role of ROLES.filter((r) => r !== 'admin')) {
      await gw.addUser({ user: `u-${role}`, roles: [role] });
      tokens[role] = await gw.token(`u-${role}`);
    }
  });
  after(async () => gw?.stop());

  it('every documented /api/v1 route has a rule in the table, and no rule is stale', async () => {
    const doc = (await (await fetch(`${gw.baseUrl}/api/docs`, { headers: { accept: 'application/json' } })).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/v1/'))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    assert.deepEqual(routes, Object.keys(TABLE).sort());
  });

  for (const [route, { roles: allowed, status, statusOf, public: open }] of Object.entries(TABLE)) {
    it(`${route}: ${status} for ${allowed.join(', ')}; 403 for the others; ${open ? 'the same' : '401'} without credentials`, async () => {
      const [method, template] = route.split(' ') as [string, string];
      const url = gw.baseUrl + template.replace(/\{([^}]+)\}/g, (_, name: string) => PROBE_PARAMS[name] ?? ZERO);
      const anonymous = await fetch(url, { method });
      assert.equal(anonymous.status, open ? status : 401, `${route} without credentials`);
      for (const role of ROLES) {
        const res = await fetch(url, {
          method,
          headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/json' },
          body: method === 'GET' || method === 'HEAD' || method === 'DELETE' ? undefined : '{}',
        });
        const text = await res.text();
        assert.equal(res.status, allowed.includes(role) ? (statusOf?.[role] ?? status) : 403, `${role} on ${route}: ${text.slice(0, 300)}`);
      }
    });
  }

  it('a user cannot read or revoke another user\'s link (404, so that ids are not confirmed); an admin can', async () => {
    const created = await createSendLink(gw.baseUrl, tokens.employee, [{ name: 'mine.txt', content: 'private' }]);
    assert.equal(created.status, 201);
    const id = created.body.id;
    const other = { authorization: `Bearer ${tokens.manager}` };
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/links/${id}`, { headers: other })).status, 404);
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/links/${id}`, { method: 'DELETE', headers: other })).status, 404);
    const list = (await (await fetch(`${gw.baseUrl}/api/v1/links`, { headers: other })).json()) as unknown[];
    assert.equal(list.length, 0);
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/links/${id}`, { headers: { authorization: `Bearer ${tokens.admin}` } })).status, 200);
    const page = await fetch(created.body.grants[0]!.url, { headers: { accept: 'application/json' } });
    assert.equal(page.status, 200, 'the link still works after the failed revocation');
  });

  it('an auditor cannot create links', async () => {
    const res = await createSendLink(gw.baseUrl, tokens.auditor, [{ name: 'x.txt', content: 'x' }]);
    assert.equal(res.status, 403);
  });

  it('a token without the scope a route needs is refused, whatever the role', async () => {
    const readOnly = (await gw.cli('token', 'create', '--user', 'admin', '--scopes', 'links:read')).trim();
    const res = await createSendLink(gw.baseUrl, readOnly, [{ name: 'x.txt', content: 'x' }]);
    assert.equal(res.status, 403);
    assert.equal(res.body.code, 'token_scope_missing');
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/links`, { headers: { authorization: `Bearer ${readOnly}` } })).status, 200);
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/audit/verify`, { headers: { authorization: `Bearer ${readOnly}` } })).status, 403);
  });

  it('tokens are created with scopes and expiry through the API, shown once, listed without secret, and revocable', async () => {
    const auth = { authorization: `Bearer ${tokens.employee}`, 'content-type': 'application/json' };
    const created = await fetch(`${gw.baseUrl}/api/v1/tokens`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'ci', scopes: ['links:read'], expiresInDays: 7 }) });
    assert.equal(created.status, 201);
    const body = (await created.json()) as { id: string; token: string; scopes: string[]; expiresAt: string };
    assert.match(body.token, /^mft_/);
    assert.deepEqual(body.scopes, ['links:read']);
    assert.ok(new Date(body.expiresAt).getTime() > Date.now());
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/me`, { headers: { authorization: `Bearer ${body.token}` } })).status, 200);
    const list = await (await fetch(`${gw.baseUrl}/api/v1/tokens`, { headers: auth })).text();
    assert.ok(!list.includes(body.token), 'the secret is never listed');
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/tokens/${body.id}`, { method: 'DELETE', headers: auth })).status, 204);
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/me`, { headers: { authorization: `Bearer ${body.token}` } })).status, 401);
    const bad = await fetch(`${gw.baseUrl}/api/v1/tokens`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'x', scopes: ['root'] }) });
    assert.equal(bad.status, 400);
  });
});
