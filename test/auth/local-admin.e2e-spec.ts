import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generate } from 'otplib';
import { CookieJar, formField, TestGateway } from '@mft/testing';

const PASSWORD = 'correct horse battery staple';


describe('the local break-glass administrator', () => {
  let gw: TestGateway;
  let secret: string;
  let recovery: string[];

  before(async () => {
    gw = await TestGateway.start({ env: { CONFIG_FILE: '' } });
    await gw.cliWithInput(PASSWORD, 'admin', 'set-password', '--user', 'admin');
  });
  after(async () => gw?.stop());

  async function passwordStep(jar: CookieJar, password = PASSWORD, username = 'admin'): Promise<Response> {
    const page = await jar.fetch(`${gw.baseUrl}/auth/login`);
    const csrf = formField(await page.text(), '_csrf');
    return jar.postForm(`${gw.baseUrl}/auth/local/login`, { username, password, _csrf: csrf });
  }

  async function totpStep(jar: CookieJar, code: string): Promise<Response> {
    const page = await jar.fetch(`${gw.baseUrl}/auth/local/totp`);
    assert.equal(page.status, 200);
    return jar.postForm(`${gw.baseUrl}/auth/local/totp`, { code, _csrf: formField(await page.text(), '_csrf') });
  }

  it('enrols TOTP at the first sign-in (a QR code, the key and the link; a wrong code keeps the same secret), shows recovery codes once, and then the session works', async () => {
    const jar = new CookieJar();
    const step1 = await passwordStep(jar);
    assert.equal(step1.status, 303);
    assert.equal(step1.headers.get('location'), '/auth/local/enroll');
    const halfSession = jar.get('mft_session');
    assert.equal((await jar.fetch(`${gw.baseUrl}/api/v1/me`)).status, 401, 'a password alone is not a sign-in');

    const enroll = await jar.fetch(`${gw.baseUrl}/auth/local/enroll`);
    const html = await enroll.text();
    secret = /id="totp-secret">([A-Z2-7]+)</.exec(html)![1]!;
    assert.match(html, /<div class="totp-qr" role="img" aria-label="QR code for adding admin to an authenticator app"><svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="200" height="200" viewBox="0 0 \d+ \d+" shape-rendering="crispEdges"><path fill="#ffffff" d="[^"]+"\/><path stroke="#000000" d="[^"]+"\/><\/svg>/);
    assert.doesNotMatch(html, /style=|<script/, 'the strict CSP allows no inline style or script');
    const uri = `otpauth://totp/MFT%20gateway:admin?secret=${secret}&amp;issuer=MFT%20gateway`;
    assert.equal(/<input id="totp-uri" type="text" readonly value="([^"]+)"/.exec(html)?.[1]?.replaceAll('&#x3D;', '='), uri, 'the otpauth link, to copy');
    const again = await (await jar.fetch(`${gw.baseUrl}/auth/local/enroll`)).text();
    assert.equal(/id="totp-secret">([A-Z2-7]+)</.exec(again)?.[1], secret, 'a reload shows the same secret');

    const wrong = String((Number(await generate({ secret })) + 500_000) % 1_000_000).padStart(6, '0');
    const refused = await jar.postForm(`${gw.baseUrl}/auth/local/enroll`, { code: wrong, _csrf: formField(html, '_csrf') });
    assert.equal(refused.status, 401);
    const retry = await refused.text();
    assert.equal(/id="totp-secret">([A-Z2-7]+)</.exec(retry)?.[1], secret, 'a wrong code keeps the same secret: try again, no new enrolment');
    assert.match(retry, /<p class="error" role="alert" id="code-error">That code is not right\. Check that the authenticator shows the code for this account/);
    assert.match(retry, /<input id="code" name="code" [^>]*autofocus aria-invalid="true" aria-describedby="code-error">/);
    assert.equal((await jar.fetch(`${gw.baseUrl}/api/v1/me`)).status, 401, 'still not signed in');

    const code = await generate({ secret });
    const done = await jar.postForm(`${gw.baseUrl}/auth/local/enroll`, { code, _csrf: formField(retry, '_csrf') });
    assert.equal(done.status, 200);
    const codesPage = await done.text();
    recovery = [...codesPage.matchAll(/<li><code>([A-Za-z0-9]{10})<\/code><\/li>/g)].map((m) => m[1]!);
    assert.equal(recovery.length, 10);
    assert.match(codesPage, /<a class="button primary" href="\/app">Continue to the app<\/a>/);
    assert.notEqual(jar.get('mft_session'), halfSession, 'the session id rotates at sign-in');

    const me = await jar.fetch(`${gw.baseUrl}/api/v1/me`);
    const { csrfToken, ...who } = (await me.json()) as { csrfToken: string };
    assert.deepEqual(who, { user: 'admin', email: null, roles: ['admin'] });
    assert.equal(typeof csrfToken, 'string', 'a browser session learns its CSRF token from /api/v1/me');
  });

  it('refuses a TOTP code that was already used, and accepts the next one', async () => {
    const now = Date.now() / 1000;
    const next = await generate({ secret, epoch: now + 30 });
    const jar = new CookieJar();
    assert.equal((await passwordStep(jar)).status, 303);
    assert.equal((await totpStep(jar, next)).status, 303);
    assert.equal((await jar.fetch(`${gw.baseUrl}/api/v1/me`)).status, 200);

    const again = new CookieJar();
    assert.equal((await passwordStep(again)).status, 303);
    const reused = await totpStep(again, next);
    assert.equal(reused.status, 401, 'the same code twice');
    const older = await totpStep(again, await generate({ secret, epoch: now }));
    assert.equal(older.status, 401, 'an older code after a newer one');
    assert.equal((await again.fetch(`${gw.baseUrl}/api/v1/me`)).status, 401);
  });

  it('a recovery code signs in once', async () => {
    const jar = new CookieJar();
    await passwordStep(jar);
    assert.equal((await totpStep(jar, recovery[0]!)).status, 303);
    assert.equal((await jar.fetch(`${gw.baseUrl}/api/v1/me`)).status, 200);
    const again = new CookieJar();
    await passwordStep(again);
    assert.equal((await totpStep(again, recovery[0]!)).status, 401);
  });

  it('a cookie-authenticated change without the CSRF token is refused with 403', async () => {
    const jar = new CookieJar();
    await passwordStep(jar);
    await totpStep(jar, recovery[1]!);
    const res = await jar.fetch(`${gw.baseUrl}/api/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', scopes: ['links:read'] }),
    });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { code: string }).code, 'csrf_invalid');
    const login = await new CookieJar().postForm(`${gw.baseUrl}/auth/local/login`, { username: 'admin', password: PASSWORD });
    assert.equal(login.status, 403, 'the sign-in form itself needs its CSRF token');
  });

  it('signing out revokes the session', async () => {
    const jar = new CookieJar();
    await passwordStep(jar);
    await totpStep(jar, recovery[2]!);
    const cookie = jar.header();
    const me = await jar.fetch(`${gw.baseUrl}/auth/me`);
    const out = await jar.postForm(`${gw.baseUrl}/auth/logout`, { _csrf: formField(await me.text(), '_csrf') });
    assert.equal(out.status, 303);
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/me`, { headers: { cookie } })).status, 401);
  });

  it('locks the account after repeated failures, even for the right password, answering as for an unknown user, and audits it', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await passwordStep(new CookieJar(), 'wrong password ' + i);
      assert.equal(res.status, 401, `attempt ${i}`);
    }
    const errorOf = (html: string): string | undefined => /<p class="error"[^>]*>([^<]*)</.exec(html)?.[1];
    const locked = await passwordStep(new CookieJar());
    const lockedPage = await locked.text();
    const unknown = await passwordStep(new CookieJar(), PASSWORD, 'nobody-here');
    const unknownPage = await unknown.text();
    assert.equal(unknown.status, 401);
    assert.equal(locked.status, 401, 'a locked account answers like a wrong password');
    assert.equal(locked.headers.get('retry-after'), null, 'and does not say how long it is locked');
    assert.equal(errorOf(lockedPage), 'The user name, password or code is not correct.');
    assert.equal(errorOf(lockedPage), errorOf(unknownPage), 'the same message for a locked and an unknown user');
    assert.doesNotMatch(lockedPage, /locked/i);
    const token = await gw.token();
    const events = await (await fetch(`${gw.baseUrl}/api/v1/audit/events?type=auth.locked_out&format=jsonl`, { headers: { authorization: `Bearer ${token}` } })).text();
    assert.match(events, /auth\.locked_out/);
  });
});

describe('local sign-in switched off (LOCAL_ADMIN_ENABLED=false)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await TestGateway.start({ env: { LOCAL_ADMIN_ENABLED: 'false' } });
    await gw.cliWithInput(PASSWORD, 'admin', 'set-password', '--user', 'admin');
  });
  after(async () => gw?.stop());

  it('offers no local form and refuses the right password with 403', async () => {
    const jar = new CookieJar();
    const page = await jar.fetch(`${gw.baseUrl}/auth/login`);
    const html = await page.text();
    assert.doesNotMatch(html, /action="\/auth\/local\/login"/);
    const res = await jar.fetch(`${gw.baseUrl}/auth/local/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ username: 'admin', password: PASSWORD }).toString(),
    });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { code: string }).code, 'local_login_disabled');
    assert.equal((await jar.fetch(`${gw.baseUrl}/api/v1/me`)).status, 401);
  });
});
