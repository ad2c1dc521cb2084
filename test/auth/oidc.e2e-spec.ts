import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addIdpPerson, CookieJar, follow, onPostgres, signInAtProvider, TestGateway, TestIdp } from '@mft/testing';

const withParam = (target: string, name: string, value: string): string => {
  const url = new URL(target);
  url.searchParams.set(name, value);
  return url.href;
};

interface AuditRecord {
  type: string;
  actor: string | null;
  details: { method?: string; reason?: string; detail?: string; roles?: string[] };
}

describe('OpenID Connect sign-in against a real provider', { timeout: 120_000 }, () => {
  let corp: TestIdp;
  let partner: TestIdp;
  let offline: TestIdp;
  let gw: TestGateway;
  let adminToken: string;
  let configDir: string;
  let gatewayEnv: Record<string, string>;
  const secret = randomBytes(24).toString('base64url');

  before(async () => {
    [corp, partner, offline] = await Promise.all([TestIdp.listen(), TestIdp.listen(), TestIdp.listen()]);
    configDir = mkdtempSync(join(tmpdir(), 'mft-oidc-'));
    const configFile = join(configDir, 'gateway.yaml');
    writeFileSync(
      configFile,
      [
        'auth:',
        '  oidc:',
        '    - id: partner',
        '      name: Partner SSO',
        `      issuer: ${partner.issuer}`,
        '      clientId: mft-partner',
        `      clientSecret: ${secret}`,
        '      scopes: openid email profile groups',
        '      allowInsecureHttp: true',
        '    - id: offline',
        '      name: Offline SSO',
        `      issuer: ${offline.issuer}`,
        '      clientId: mft-offline',
        `      clientSecret: ${secret}`,
        '      scopes: openid email profile groups',
        '      allowInsecureHttp: true',
        '',
      ].join('\n'),
    );
    gatewayEnv = {
      CONFIG_FILE: configFile,
      OIDC_ISSUER: corp.issuer,
      OIDC_CLIENT_ID: 'mft-gateway',
      OIDC_CLIENT_SECRET: secret,
      OIDC_SCOPES: 'openid email profile groups',
      OIDC_ROLES_CLAIM: 'groups',
      OIDC_ALLOW_INSECURE_HTTP: 'true',
      ROLE_MAP: 'mft-admins=admin,mft-audit=auditor',
    };
    // The providers still answer 503 here: discovery is lazy, so the gateway starts anyway.
    gw = await TestGateway.start({ env: gatewayEnv });
    corp.serve({ clientId: 'mft-gateway', clientSecret: secret, redirectUris: [`${gw.baseUrl}/auth/oidc/callback`] }, true);
    partner.serve({ clientId: 'mft-partner', clientSecret: secret, redirectUris: [`${gw.baseUrl}/auth/oidc/partner/callback`] }, false);
    adminToken = await gw.token();
  });

  after(async () => {
    await gw?.stop();
    await Promise.all([corp?.close(), partner?.close(), offline?.close()]);
    if (configDir) {
      rmSync(configDir, { recursive: true, force: true });
    }
  });

  const person = addIdpPerson;

  async function me(jar: CookieJar): Promise<{ status: number; body: { user?: string; email?: string | null; roles?: string[] } }> {
    const res = await fetch(`${gw.baseUrl}/api/v1/me`, { headers: { cookie: jar.header(), accept: 'application/json' } });
    // A browser session's answer also carries its CSRF token.
    const { csrfToken: _csrf, ...body } = (await res.json()) as { user?: string; roles?: string[]; csrfToken?: string };
    return { status: res.status, body };
  }

  async function auditEvents(type: 'auth.login' | 'auth.login_failed'): Promise<AuditRecord[]> {
    const res = await fetch(`${gw.baseUrl}/api/v1/audit/events?type=${type}&format=jsonl`, { headers: { authorization: `Bearer ${adminToken}` } });
    assert.equal(res.status, 200);
    return (await res.text())
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditRecord);
  }

  /** Runs `act` and returns the audit events of `type` it added. */
  async function newEvents(type: 'auth.login' | 'auth.login_failed', act: () => Promise<void>): Promise<AuditRecord[]> {
    const before = (await auditEvents(type)).length;
    await act();
    return (await auditEvents(type)).slice(before);
  }

  /** Delivers a callback URL in `browser` and checks the refusal: a human 401 page, and no session. */
  async function assertRefused(jar: CookieJar, callbackUrl: string): Promise<string> {
    const res = await jar.fetch(callbackUrl);
    const html = await res.text();
    assert.equal(res.status, 401, html.slice(0, 500));
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(html, /Sign-in failed/);
    assert.match(html, /Start again from the sign-in page/);
    assert.doesNotMatch(html, /\bat \S+\.js:\d+/, 'no stack trace');
    assert.ok(!res.headers.getSetCookie().some((c) => c.startsWith('mft_session=')), 'no session cookie');
    assert.equal((await me(jar)).status, 401, 'the browser has no session');
    return html;
  }

  /** A full sign-in through the gateway; returns where the browser landed. */
  async function signIn(jar: CookieJar, login: string, path = '/auth/oidc/login'): Promise<{ landed: string; status: number; html: string }> {
    const callback = await signInAtProvider(jar, `${gw.baseUrl}${path}`, login);
    const { res, url } = await follow(jar, callback);
    return { landed: new URL(url).pathname + new URL(url).search, status: res.status, html: await res.text() };
  }

  it('the sign-in button redirects to the provider with PKCE S256, a fresh state and nonce, and the configured scopes', async () => {
    const page = await (await fetch(`${gw.baseUrl}/auth/login`)).text();
    assert.match(page, /href="\/auth\/oidc\/login"/);
    assert.match(page, /href="\/auth\/oidc\/partner\/login"/);

    const browser = new CookieJar();
    const requests: URL[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await browser.fetch(`${gw.baseUrl}/auth/oidc/login`);
      assert.equal(res.status, 302);
      const flowCookie = res.headers.getSetCookie().find((c) => c.startsWith('mft_oidc='));
      assert.ok(flowCookie, 'a round-trip cookie is set');
      assert.match(flowCookie, /HttpOnly/i);
      assert.match(flowCookie, /SameSite=Lax/i);
      assert.match(flowCookie, /Path=\/auth\/oidc\//i);
      requests.push(new URL(res.headers.get('location')!));
    }
    for (const url of requests) {
      assert.equal(url.origin, corp.issuer);
      assert.equal(url.searchParams.get('response_type'), 'code');
      assert.equal(url.searchParams.get('client_id'), 'mft-gateway');
      assert.equal(url.searchParams.get('redirect_uri'), `${gw.baseUrl}/auth/oidc/callback`);
      assert.equal(url.searchParams.get('scope'), 'openid email profile groups');
      assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
      assert.match(url.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
      assert.ok((url.searchParams.get('state') ?? '').length >= 20);
      assert.ok((url.searchParams.get('nonce') ?? '').length >= 20);
    }
    for (const param of ['state', 'nonce', 'code_challenge']) {
      assert.notEqual(requests[0]!.searchParams.get(param), requests[1]!.searchParams.get(param), `${param} is fresh for each redirect`);
    }
  });

  it('a new user signs in, lands in the app at /app, and /api/v1/me shows the roles mapped from the groups claim', async () => {
    person(corp, 'alice', ['mft-admins', 'staff']);
    const browser = new CookieJar();
    const logins = await newEvents('auth.login', async () => {
      const done = await signIn(browser, 'alice');
      assert.equal(done.landed, '/app');
      assert.equal(done.status, 200);
      assert.match(done.html, /<script type="module"[^>]* src="\/app\/assets\//, 'the staff app');
    });
    assert.equal(browser.get('mft_oidc'), undefined, 'the round-trip cookie is cleared');
    assert.deepEqual(await me(browser), { status: 200, body: { user: 'alice', email: 'alice@example.test', roles: ['admin'] } });
    assert.equal(logins.length, 1);
    assert.equal(logins[0]!.actor, 'user:alice');
    assert.equal(logins[0]!.details.method, 'oidc:oidc');
  });

  it('after sign-in the user returns to the same-site page they asked for; an off-site returnTo lands on /app', async () => {
    person(corp, 'dora', ['mft-audit']);
    const browser = new CookieJar();
    assert.equal((await signIn(browser, 'dora', '/auth/oidc/login?returnTo=%2Fapi%2Fv1%2Fme')).landed, '/api/v1/me');
    for (const evil of ['https://evil.example/', '//evil.example/x', '/\\evil.example']) {
      assert.equal((await signIn(new CookieJar(), 'dora', `/auth/oidc/login?returnTo=${encodeURIComponent(evil)}`)).landed, '/app', evil);
    }
  });

  it('roles follow the groups at every sign-in: removed from mft-admins, the user loses admin and the old session stops working', async () => {
    person(corp, 'carol', ['mft-admins']);
    const first = new CookieJar();
    await signIn(first, 'carol');
    assert.deepEqual((await me(first)).body.roles, ['admin']);

    corp.accounts.get('carol')!.groups = ['mft-audit'];
    const second = new CookieJar();
    await signIn(second, 'carol');
    assert.deepEqual(await me(second), { status: 200, body: { user: 'carol', email: 'carol@example.test', roles: ['auditor'] } });
    assert.equal((await me(first)).status, 401, 'the session that held admin is over');
  });

  it('the groups of the last sign-in are kept, for group policy overrides', async () => {
    person(corp, 'gus', ['staff', 'finance']);
    const browser = new CookieJar();
    await signIn(browser, 'gus');
    const admin = await gw.token();
    const effective = async (): Promise<{ groups: string[] }> =>
      (await (await fetch(`${gw.baseUrl}/api/v1/policy/effective?user=gus`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { groups: string[] };
    assert.deepEqual((await effective()).groups, ['staff', 'finance']);
    corp.accounts.get('gus')!.groups = ['staff'];
    await signIn(new CookieJar(), 'gus');
    assert.deepEqual((await effective()).groups, ['staff']);
  });

  it('a callback with a tampered state shows a 401 page, signs nobody in, and is audited; the real callback is then used up', async () => {
    person(corp, 'erin', ['mft-admins']);
    const browser = new CookieJar();
    const callback = await signInAtProvider(browser, `${gw.baseUrl}/auth/oidc/login`, 'erin');
    const failures = await newEvents('auth.login_failed', async () => {
      const logins = await newEvents('auth.login', async () => {
        await assertRefused(browser, withParam(callback, 'state', randomBytes(32).toString('base64url')));
        await assertRefused(browser, callback);
      });
      assert.equal(logins.length, 0);
    });
    assert.deepEqual(
      failures.map((e) => [e.details.method, e.details.reason]),
      [
        ['oidc:oidc', 'oidc_state_mismatch'],
        ['oidc:oidc', 'oidc_flow_expired'],
      ],
    );
  });

  it('an ID token carrying a nonce other than the one this browser was given is refused', async () => {
    person(corp, 'frank', ['mft-admins']);
    const browser = new CookieJar();
    const start = await browser.fetch(`${gw.baseUrl}/auth/oidc/login`);
    assert.equal(start.status, 302);
    // Same state and PKCE challenge as the browser's round trip, but the provider is asked for another nonce.
    const forged = withParam(start.headers.get('location')!, 'nonce', randomBytes(32).toString('base64url'));
    const callback = await signInAtProvider(browser, forged, 'frank');
    const failures = await newEvents('auth.login_failed', () => assertRefused(browser, callback).then(() => undefined));
    assert.equal(failures.length, 1);
    assert.equal(failures[0]!.details.reason, 'oidc_response_invalid');
    assert.match(failures[0]!.details.detail ?? '', /nonce/);
  });

  it('an authorization code replayed in another browser, or a second time, signs nobody in', async () => {
    person(corp, 'grace', ['mft-admins']);
    const owner = new CookieJar();
    const callback = await signInAtProvider(owner, `${gw.baseUrl}/auth/oidc/login`, 'grace');

    const failures = await newEvents('auth.login_failed', async () => {
      // Another browser that started its own sign-in, with the stolen code under its own state.
      const thief = new CookieJar();
      const own = new URL((await thief.fetch(`${gw.baseUrl}/auth/oidc/login`)).headers.get('location')!);
      await assertRefused(thief, withParam(callback, 'state', own.searchParams.get('state')!));
      // A browser with no sign-in under way.
      await assertRefused(new CookieJar(), callback);
    });
    assert.deepEqual(
      failures.map((e) => e.details.reason),
      ['oidc_code_rejected', 'oidc_flow_expired'],
    );

    const used = await follow(owner, callback);
    assert.equal(new URL(used.url).pathname, '/app', 'the rightful browser still signs in');
    assert.equal((await me(owner)).body.user, 'grace');

    const again = await newEvents('auth.login_failed', async () => {
      const replay = await owner.fetch(callback);
      assert.equal(replay.status, 401);
      assert.match(await replay.text(), /already completed/);
    });
    assert.deepEqual(
      again.map((e) => e.details.reason),
      ['oidc_flow_expired'],
    );
  });

  it('an answer naming another issuer, or brought to another provider’s callback, is refused', async () => {
    person(corp, 'heidi', ['mft-admins']);
    person(partner, 'heidi', ['mft-admins']);
    const failures = await newEvents('auth.login_failed', async () => {
      const browser = new CookieJar();
      const callback = await signInAtProvider(browser, `${gw.baseUrl}/auth/oidc/login`, 'heidi');
      assert.equal(new URL(callback).searchParams.get('iss'), corp.issuer);
      await assertRefused(browser, withParam(callback, 'iss', partner.issuer));

      const other = new CookieJar();
      const partnerCallback = new URL(await signInAtProvider(other, `${gw.baseUrl}/auth/oidc/partner/login`, 'heidi'));
      await assertRefused(other, `${gw.baseUrl}/auth/oidc/callback${partnerCallback.search}`);
    });
    assert.deepEqual(
      failures.map((e) => [e.details.method, e.details.reason]),
      [
        ['oidc:oidc', 'oidc_response_invalid'],
        ['oidc:oidc', 'oidc_provider_mismatch'],
      ],
    );
    assert.match(failures[0]!.details.detail ?? '', /iss/);
  });

  it('a second provider signs users in at /auth/oidc/partner/login, with e-mail and groups from its UserInfo endpoint', async () => {
    person(partner, 'ivan', ['mft-audit']);
    const browser = new CookieJar();
    const logins = await newEvents('auth.login', async () => {
      assert.equal((await signIn(browser, 'ivan', '/auth/oidc/partner/login')).landed, '/app');
    });
    assert.deepEqual(await me(browser), { status: 200, body: { user: 'ivan', email: 'ivan@example.test', roles: ['auditor'] } });
    assert.equal(logins[0]!.details.method, 'oidc:partner');
  });

  it('a person who cancels at the provider sees a 401 page saying the provider did not sign them in', async () => {
    const browser = new CookieJar();
    const callback = await signInAtProvider(browser, `${gw.baseUrl}/auth/oidc/login`, 'nobody', { cancel: true });
    const failures = await newEvents('auth.login_failed', async () => {
      assert.match(await assertRefused(browser, callback), /did not sign you in \(access_denied\)/);
    });
    assert.equal(failures[0]!.details.reason, 'oidc_idp_refused');
  });

  it('while a provider is unreachable its button shows a 503 page saying to try again later; once it is back, sign-in works without a restart', async () => {
    const failures = await newEvents('auth.login_failed', async () => {
      for (let i = 0; i < 2; i++) {
        const res = await new CookieJar().fetch(`${gw.baseUrl}/auth/oidc/offline/login`);
        assert.equal(res.status, 503);
        assert.match(await res.text(), /Try again in a few minutes/);
      }
    });
    assert.deepEqual(
      failures.map((e) => [e.details.method, e.details.reason]),
      [
        ['oidc:offline', 'oidc_unavailable'],
        ['oidc:offline', 'oidc_unavailable'],
      ],
    );
    assert.equal((await fetch(`${gw.baseUrl}/auth/login`)).status, 200);

    offline.serve({ clientId: 'mft-offline', clientSecret: secret, redirectUris: [`${gw.baseUrl}/auth/oidc/offline/callback`] }, true);
    person(offline, 'judy', ['mft-audit']);
    const browser = new CookieJar();
    assert.equal((await signIn(browser, 'judy', '/auth/oidc/offline/login')).landed, '/app');
    assert.deepEqual((await me(browser)).body.roles, ['auditor']);
  });

  it('a sign-in started on one replica finishes on another (the round trip is kept in the database)', async () => {
    // Replicas share a PostgreSQL server; in the embedded-database run this pair gets its own, and
    // its own provider, which must know the pair's redirect URI.
    let primary = gw;
    let idp = corp;
    if (!onPostgres()) {
      idp = await TestIdp.listen();
      primary = await TestGateway.start({ database: 'postgres', env: { ...gatewayEnv, OIDC_ISSUER: idp.issuer } });
      idp.serve({ clientId: 'mft-gateway', clientSecret: secret, redirectUris: [`${primary.baseUrl}/auth/oidc/callback`] }, true);
    }
    // Replicas behind one load balancer share the public URL, hence the redirect URI.
    const replica = await TestGateway.start({ share: primary, env: { PUBLIC_URL: primary.baseUrl } });
    try {
      person(idp, 'kim', ['mft-audit']);
      const jar = new CookieJar();
      const callback = await signInAtProvider(jar, `${primary.baseUrl}/auth/oidc/login`, 'kim');
      const flowCookie = `mft_oidc=${jar.get('mft_oidc')}`;
      const res = await jar.fetch(callback.replace(primary.baseUrl, replica.baseUrl));
      assert.equal(res.status, 303, await res.text());
      assert.equal(res.headers.get('location'), '/app');
      const session = await fetch(`${primary.baseUrl}/api/v1/me`, { headers: { cookie: jar.header() } });
      const { csrfToken: _csrf, ...who } = (await session.json()) as { csrfToken?: string };
      assert.deepEqual(who, { user: 'kim', email: 'kim@example.test', roles: ['auditor'] }, 'the session works on the first replica too');
      const replay = await fetch(callback, { headers: { cookie: flowCookie }, redirect: 'manual' });
      assert.equal(replay.status, 401, 'the first replica finds the round trip used up');
      assert.match(await replay.text(), /already completed/);
    } finally {
      await replica.stop();
      if (primary !== gw) {
        await primary.stop();
        await idp.close();
      }
    }
  });

  it('an unknown provider in the address answers 404', async () => {
    const res = await new CookieJar().fetch(`${gw.baseUrl}/auth/oidc/nope/login`);
    assert.equal(res.status, 404);
    assert.match(await res.text(), /not configured/);
  });
});
