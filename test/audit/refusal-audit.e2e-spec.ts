import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generate } from 'otplib';
import { CookieJar, createSendLink, formField, TestGateway } from '@mft/testing';

const LOOPBACK = ['127.0.0.1', '::ffff:127.0.0.1'];
const AUDITED_PER_WINDOW = 10;
const TOKEN_LOOKUPS = 5;
const SIGN_INS = 3;
const PASSWORD = 'correct horse battery staple';

interface AuditEventJson {
  seq: number;
  type: string;
  outcome: string;
  actor: string | null;
  linkId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}


describe('refused requests and CLI commands are audited, with address and actor, and a flood stays bounded', () => {
  let gw: TestGateway;
  let admin: string;
  let employee: string;

  before(async () => {
    gw = await TestGateway.start({
      config: [
        'rateLimits:',
        `  tokenLookupPerIp: { max: ${TOKEN_LOOKUPS}, windowSeconds: 900 }`,
        `  loginPerIp: { max: ${SIGN_INS}, windowSeconds: 900 }`,
        `  refusalAuditPerIp: { max: ${AUDITED_PER_WINDOW}, windowSeconds: 900 }`,
      ],
    });
    admin = await gw.token();
    await gw.addUser({ user: 'emp', roles: ['employee'] });
    employee = await gw.token('emp');
  });
  after(async () => {
    await gw?.stop();
  });

  async function events(type: string): Promise<AuditEventJson[]> {
    const res = await fetch(`${gw.baseUrl}/api/v1/audit/events?type=${type}`, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(res.status, 200);
    return (await res.json()) as AuditEventJson[];
  }

  function assertFromHere(e: AuditEventJson | undefined, actor: string): asserts e is AuditEventJson {
    assert.ok(e, 'the event was recorded');
    assert.equal(e.actor, actor);
    assert.ok(LOOPBACK.includes(e.ip ?? ''), `ip ${e.ip}`);
    assert.equal(e.outcome, 'denied');
  }

  it('a revoked and an expired token are audited as auth.token_rejected, naming their user and the reason', async () => {
    const created = await fetch(`${gw.baseUrl}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${employee}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'soon revoked', scopes: ['links:read'] }),
    });
    const { id, token } = (await created.json()) as { id: string; token: string };
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/tokens/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${employee}` } })).status, 204);
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/links`, { headers: { authorization: `Bearer ${token}` } })).status, 401);

    // 0.0001 days: under nine seconds; waits until the expiry the gateway recorded has passed.
    const expiringToken = JSON.parse(await gw.cli('token', 'create', '--user', 'emp', '--expires-in-days', '0.0001', '--json')) as { token: string; expiresAt: string };
    const expiring = expiringToken.token;
    await new Promise((r) => setTimeout(r, Math.max(0, new Date(expiringToken.expiresAt).getTime() - Date.now()) + 200));
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/links`, { headers: { authorization: `Bearer ${expiring}` } })).status, 401);

    const rejected = await events('auth.token_rejected');
    const revoked = rejected.find((e) => e.details.reason === 'revoked');
    assertFromHere(revoked, 'user:emp');
    assert.equal(revoked.details.route, 'GET /api/v1/links');
    assertFromHere(
      rejected.find((e) => e.details.reason === 'expired'),
      'user:emp',
    );
  });

  it('a token lacking the scope, and a role refusal, are audited as auth.forbidden', async () => {
    const readOnly = (await gw.cli('token', 'create', '--user', 'emp', '--scopes', 'links:read')).trim();
    assert.equal((await createSendLink(gw.baseUrl, readOnly, [{ name: 'x.txt', content: 'x' }])).status, 403);
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/audit/events`, { headers: { authorization: `Bearer ${employee}` } })).status, 403);
    const forbidden = await events('auth.forbidden');
    const scope = forbidden.find((e) => e.details.reason === 'token_scope_missing');
    assertFromHere(scope, 'user:emp');
    assert.equal(scope.details.scope, 'links:write');
    assert.equal(scope.details.route, 'POST /api/v1/links');
    const role = forbidden.find((e) => e.details.reason === 'role_forbidden');
    assertFromHere(role, 'user:emp');
    assert.equal(role.details.route, 'GET /api/v1/audit/events');
  });

  it("another user's link id answers 404 and is audited as link.access_denied with the link", async () => {
    const link = await createSendLink(gw.baseUrl, admin, [{ name: 'admins.txt', content: 'private' }]);
    assert.equal(link.status, 201);
    const res = await fetch(`${gw.baseUrl}/api/v1/links/${link.body.id}`, { headers: { authorization: `Bearer ${employee}` } });
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { code: string }).code, 'link_not_found');
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/links/${link.body.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${employee}` } })).status, 404);
    const denied = (await events('link.access_denied')).filter((e) => e.linkId === link.body.id);
    assert.equal(denied.length, 2);
    assertFromHere(denied[0], 'user:emp');
  });

  it('unknown link tokens are audited as link.unknown_token, and the per-address lockout as auth.locked_out', async () => {
    for (let i = 0; i < TOKEN_LOOKUPS; i++) {
      const res = await fetch(`${gw.baseUrl}/l/unknownlinktoken${'x'.repeat(10)}${i}`, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 404);
    }
    const locked = await fetch(`${gw.baseUrl}/l/unknownlinktokenxxxxxxxxxxlast`, { headers: { accept: 'application/json' } });
    assert.equal(locked.status, 429);
    const unknown = await events('link.unknown_token');
    assert.equal(unknown.length, TOKEN_LOOKUPS);
    assertFromHere(unknown[0], 'recipient');
    const lockouts = (await events('auth.locked_out')).filter((e) => e.details.limit === 'tokenLookupPerIp');
    assert.equal(lockouts.length, 1);
    assertFromHere(lockouts[0], 'recipient');
  });

  it('CLI commands are audited as cli.<command>, failures too, never with the password', async () => {
    await gw.cliWithInput(PASSWORD, 'admin', 'set-password', '--user', 'admin');
    await gw.cli('user', 'add', '--user', 'carol', '--roles', 'employee,auditor', '--groups', 'finance');
    await assert.rejects(gw.cli('user', 'add', '--user', 'carol', '--roles', 'employee'));
    const added = await events('cli.user.add');
    const carol = added.filter((e) => e.details.user === 'carol');
    assert.deepEqual(
      carol.map((e) => e.outcome),
      ['success', 'failure'],
    );
    assert.equal(carol[0]!.actor, 'cli');
    assert.deepEqual(carol[0]!.details.roles, ['employee', 'auditor']);
    assert.deepEqual(carol[0]!.details.groups, ['finance']);
    assert.equal(carol[1]!.details.error, 'user_exists');
    const password = await events('cli.admin.set-password');
    assert.equal(password.length, 1);
    assert.deepEqual(password[0]!.details, { user: 'admin' });
    assert.ok(!JSON.stringify(password).includes(PASSWORD));
    const tokens = await events('cli.token.create');
    assert.ok(tokens.some((e) => e.details.user === 'emp' && e.outcome === 'success'));
  });

  it('a CSRF failure of a signed-in browser is audited as auth.csrf_failed; the sign-in lockout as auth.locked_out', async () => {
    const jar = new CookieJar();
    const login = await jar.fetch(`${gw.baseUrl}/auth/login`);
    const step1 = await jar.postForm(`${gw.baseUrl}/auth/local/login`, { username: 'admin', password: PASSWORD, _csrf: formField(await login.text(), '_csrf') });
    assert.equal(step1.status, 303);
    const enroll = await jar.fetch(`${gw.baseUrl}/auth/local/enroll`);
    const html = await enroll.text();
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(html)![1]!;
    assert.equal((await jar.postForm(`${gw.baseUrl}/auth/local/enroll`, { code: await generate({ secret }), _csrf: formField(html, '_csrf') })).status, 200);
    const forged = await jar.fetch(`${gw.baseUrl}/api/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', scopes: ['links:read'] }) });
    assert.equal(forged.status, 403);
    assert.equal(((await forged.json()) as { code: string }).code, 'csrf_invalid');
    const csrf = await events('auth.csrf_failed');
    assert.equal(csrf.length, 1);
    assertFromHere(csrf[0], 'user:admin');
    assert.equal(csrf[0]!.details.route, 'POST /api/v1/tokens');

    // One attempt of this address is spent above; the rest, then one more.
    let last = 0;
    for (let i = 0; i < SIGN_INS; i++) {
      const other = new CookieJar();
      const page = await other.fetch(`${gw.baseUrl}/auth/login`);
      last = (await other.postForm(`${gw.baseUrl}/auth/local/login`, { username: 'admin', password: 'wrong wrong wrong', _csrf: formField(await page.text(), '_csrf') })).status;
    }
    assert.equal(last, 429);
    const lockouts = (await events('auth.locked_out')).filter((e) => e.details.limit === 'loginPerIp');
    assert.equal(lockouts.length, 1);
    assert.ok(LOOPBACK.includes(lockouts[0]!.ip ?? ''));
  });

  it('a flood of 500 bad tokens leaves a bounded number of auth.token_rejected events and one audit.suppressed summary', async () => {
    for (let i = 0; i < 500; i += 25) {
      const batch = Array.from({ length: 25 }, (_, j) => fetch(`${gw.baseUrl}/api/v1/me`, { headers: { authorization: `Bearer mft_bad${i + j}` } }).then((r) => r.status));
      assert.deepEqual(new Set(await Promise.all(batch)), new Set([401]));
    }
    const rejected = await events('auth.token_rejected');
    assert.equal(rejected.length, AUDITED_PER_WINDOW);
    const summary = (await events('audit.suppressed')).filter((e) => e.details.suppressedType === 'auth.token_rejected');
    assert.equal(summary.length, 1);
    assert.ok(LOOPBACK.includes(summary[0]!.ip ?? ''));
    assert.equal(summary[0]!.details.max, AUDITED_PER_WINDOW);
    assert.equal(summary[0]!.details.windowSeconds, 900);
    assert.ok(new Date(summary[0]!.details.until as string).getTime() > Date.now());
    const verify = (await (await fetch(`${gw.baseUrl}/api/v1/audit/verify`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { ok: boolean };
    assert.equal(verify.ok, true);
  });

  it('a flood of guesses at a locked link password stays bounded (unlock.rate_limited), and a recipient form without its CSRF token is audited as auth.csrf_failed', async () => {
    const created = await createSendLink(gw.baseUrl, admin, [{ name: 'p.txt', content: 'x' }], { password: 'a long link password 123' });
    assert.equal(created.status, 201);
    const url = created.body.grants[0]!.url;
    const statuses: number[] = [];
    for (let i = 0; i < 60; i += 1) {
      const res = await fetch(url, { headers: { accept: 'application/json', 'x-link-password': `wrong guess ${i}` } });
      statuses.push(res.status);
    }
    assert.equal(statuses[0], 401);
    assert.equal(statuses.at(-1), 429);
    const limited = (await events('unlock.rate_limited')).filter((e) => e.linkId === created.body.id);
    assert.equal(limited.length, AUDITED_PER_WINDOW, 'rate-limited guesses beyond the audit budget are not each written');
    assert.equal((await events('audit.suppressed')).filter((e) => e.details.suppressedType === 'unlock.rate_limited').length, 1);

    const form = await fetch(`${url}/unlock`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      body: 'password=anything',
      redirect: 'manual',
    });
    assert.equal(form.status, 403);
    const csrf = (await events('auth.csrf_failed')).filter((e) => e.details.route === 'POST /l/:token/unlock');
    assert.equal(csrf.length, 1);
    assert.ok(LOOPBACK.includes(csrf[0]!.ip ?? ''));
  });
});
