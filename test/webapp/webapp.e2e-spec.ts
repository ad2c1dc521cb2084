// database-neutral: drives the staff app in a browser or serves its files; the API and SQL behind its pages are covered on both databases by the API suites
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CookieJar, TestGateway } from '@mft/testing';
import { signInLocalAdmin } from './staff-session.js';

/** How the gateway serves the staff web app, and the ways into it. */
describe('the staff web app at /app', () => {
  let gw: TestGateway;
  let jar: CookieJar;

  before(async () => {
    gw = await TestGateway.start({
      config: ['auth:', '  oidc:', '    - id: corp', '      name: Corp SSO', '      issuer: http://127.0.0.1:9/corp', '      clientId: mft', '      clientSecret: not-a-real-secret-but-long-enough', '      allowInsecureHttp: true'],
    });
    jar = await signInLocalAdmin(gw);
  });
  after(async () => gw?.stop());

  it('GET / sends a signed-in person to /app and anyone else to /auth/login', async () => {
    const anonymous = await fetch(`${gw.baseUrl}/`, { redirect: 'manual' });
    assert.equal(anonymous.status, 303);
    assert.equal(anonymous.headers.get('location'), '/auth/login');
    const stale = await fetch(`${gw.baseUrl}/`, { redirect: 'manual', headers: { cookie: 'mft_session=not-a-session' } });
    assert.equal(stale.headers.get('location'), '/auth/login');
    const signedIn = await fetch(`${gw.baseUrl}/`, { redirect: 'manual', headers: { cookie: jar.header() } });
    assert.equal(signedIn.status, 303);
    assert.equal(signedIn.headers.get('location'), '/app');
  });

  it('every path under /app answers the same index.html, never cached, under the strict CSP, with no inline script or style', async () => {
    const bodies = new Set<string>();
    for (const path of ['/app', '/app/', '/app/links', '/app/links/7d0c6a3e-8f0e-4a57-9d1b-1f0c3a2b4c5d', '/app/some/deep/page']) {
      const res = await fetch(`${gw.baseUrl}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8', path);
      assert.equal(res.headers.get('cache-control'), 'no-store', path);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'(;|$)/, path);
      assert.match(csp, /style-src 'self'(;|$)/, path);
      bodies.add(await res.text());
    }
    assert.equal(bodies.size, 1);
    const html = [...bodies][0]!;
    assert.match(html, /<div id="root"><\/div>/);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    assert.match(scripts[0]![1]!, /type="module"/);
    assert.match(scripts[0]![1]!, /src="\/app\/assets\/index-[\w-]+\.js"/);
    assert.equal(scripts[0]![2], '', 'no inline script');
    assert.doesNotMatch(html, /<style|style="|\son[a-z]+=/i, 'no inline style or handler');

    const src = /src="(\/app\/assets\/[^"]+)"/.exec(html)![1]!;
    const asset = await fetch(`${gw.baseUrl}${src}`);
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.ok((await asset.arrayBuffer()).byteLength > 1000);
    const css = /href="(\/app\/assets\/[^"]+\.css)"/.exec(html)![1]!;
    assert.equal((await fetch(`${gw.baseUrl}${css}`)).headers.get('content-type'), 'text/css; charset=utf-8');

    for (const missing of ['/app/assets/index-nothere.js', '/app/assets/..%2F..%2Fpackage.json', '/app/assets/index.html']) {
      const res = await fetch(`${gw.baseUrl}${missing}`);
      assert.equal(res.status, 404, missing);
    }
  });

  it('the sign-in page lists each SSO provider first, and the local administrator form inside a disclosure', async () => {
    const html = await (await fetch(`${gw.baseUrl}/auth/login`)).text();
    const sso = html.indexOf('>Sign in with Corp SSO</a>');
    const details = html.indexOf('<details');
    assert.ok(sso > 0, 'a link named "Sign in with Corp SSO"');
    assert.match(html, /<a class="button primary" href="\/auth\/oidc\/login">Sign in with Corp SSO<\/a>/);
    assert.ok(details > sso, 'the local form comes after the SSO buttons');
    const disclosure = html.slice(details, html.indexOf('</details>'));
    assert.match(disclosure, /<summary>Sign in as the local administrator \(break-glass\)<\/summary>/);
    assert.match(disclosure, /<form method="post" action="\/auth\/local\/login">/);
    assert.doesNotMatch(html.slice(0, details), /name="password"/);
  });

  it('the sign-in page carries the app page asked for through the provider, and nothing else', async () => {
    const asked = await (await fetch(`${gw.baseUrl}/auth/login?returnTo=${encodeURIComponent('/app/links')}`)).text();
    assert.match(asked, /href="\/auth\/oidc\/login\?returnTo(=|&#x3D;)%2Fapp%2Flinks"/);
    for (const evil of ['https://evil.example/app', '//evil.example/app', '/app/../api/v1/me', '/auth/me', '/app//evil.example']) {
      const html = await (await fetch(`${gw.baseUrl}/auth/login?returnTo=${encodeURIComponent(evil)}`)).text();
      assert.match(html, /href="\/auth\/oidc\/login"/, evil);
    }
  });

  it('GET /api/v1/me answers the CSRF token to a browser session, and none to a token', async () => {
    const me = (await (await jar.fetch(`${gw.baseUrl}/api/v1/me`)).json()) as { user: string; csrfToken: string };
    assert.equal(me.user, 'admin');
    assert.equal(typeof me.csrfToken, 'string');
    const created = await jar.fetch(`${gw.baseUrl}/api/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
      body: JSON.stringify({ name: 'from the app', scopes: ['links:read'] }),
    });
    assert.equal(created.status, 201, 'the token from /api/v1/me is the one the guard accepts');
    const { token } = (await created.json()) as { token: string };
    const byToken = (await (await fetch(`${gw.baseUrl}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).json()) as Record<string, unknown>;
    assert.deepEqual(byToken, { user: 'admin', email: null, roles: ['admin'] });
  });
});
