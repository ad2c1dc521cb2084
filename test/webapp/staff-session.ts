import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { addIdpPerson, CookieJar, formField, oidcGatewayEnv, serveGateway, TestGateway, TestIdp } from '@mft/testing';

export const ADMIN_PASSWORD = 'correct horse battery staple';

/** Signs in as the local administrator (password, then TOTP enrolment) and answers the browser's cookies. */
export async function signInLocalAdmin(gw: TestGateway): Promise<CookieJar> {
  await gw.setPassword('admin', ADMIN_PASSWORD);
  const jar = new CookieJar();
  const page = await jar.fetch(`${gw.baseUrl}/auth/login`);
  const step1 = await jar.postForm(`${gw.baseUrl}/auth/local/login`, { username: 'admin', password: ADMIN_PASSWORD, _csrf: formField(await page.text(), '_csrf') });
  if (step1.status !== 303) {
    throw new Error(`the password step answered ${String(step1.status)}`);
  }
  const enroll = await jar.fetch(`${gw.baseUrl}/auth/local/enroll`);
  const html = await enroll.text();
  const secret = /id="totp-secret">([A-Z2-7]+)</.exec(html)![1]!;
  const done = await jar.postForm(`${gw.baseUrl}/auth/local/enroll`, { code: await generate({ secret }), _csrf: formField(html, '_csrf') });
  if (done.status !== 200) {
    throw new Error(`the TOTP enrolment answered ${String(done.status)}`);
  }
  return jar;
}

/** A send link to `recipients` created through the API with a token; answers its id and addresses. */
export async function sendThroughApi(gw: TestGateway, token: string, name: string, recipients: string[]): Promise<{ id: string; grants: Array<{ recipient: string | null; url: string }> }> {
  const form = new FormData();
  form.append('recipients', recipients.join(','));
  form.append('file', new Blob([`contents of ${name}`]), name);
  const res = await fetch(`${gw.baseUrl}/api/v1/links`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  if (res.status !== 201) {
    throw new Error(`creating a link answered ${String(res.status)}: ${await res.text()}`);
  }
  return (await res.json()) as { id: string; grants: Array<{ recipient: string | null; url: string }> };
}

/** A browser page `width` px wide holding the session cookie `session`; console errors and failed page scripts are collected in `problems`. */
export async function sessionPage(browser: Browser, baseUrl: string, session: string, width: number, height = 800): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width, height } });
  await context.addCookies([{ name: 'mft_session', value: session, url: baseUrl, httpOnly: true, sameSite: 'Lax' }]);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') {
      problems.push(m.text());
    }
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return { context, page, problems };
}

/** A gateway signing people in through a real OpenID provider, with `login` in the IdP group mapped to admin. */
export async function startWithIdp(login: string, env: Record<string, string> = {}): Promise<{ gw: TestGateway; idp: TestIdp }> {
  const idp = await TestIdp.listen();
  const secret = randomBytes(16).toString('hex');
  const gw = await TestGateway.start({ env: { ...oidcGatewayEnv(idp, secret), ...env } });
  serveGateway(idp, gw.baseUrl, secret);
  addIdpPerson(idp, login, ['mft-admins']);
  return { gw, idp };
}

/** Signs `login` in with Chromium: the gateway's sign-in page, the provider's own sign-in and consent forms, back to `returnTo`. */
export async function signInWithChromium(browser: Browser, gw: TestGateway, login: string, returnTo: string): Promise<string> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${gw.baseUrl}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
  await page.getByRole('link', { name: /^Sign in with/ }).click();
  await page.getByPlaceholder('Enter any login').fill(login);
  await page.getByPlaceholder('and password').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${gw.baseUrl}${returnTo}`);
  const session = (await context.cookies(gw.baseUrl)).find((c) => c.name === 'mft_session')?.value;
  await context.close();
  assert.ok(session, 'the gateway set its session cookie after the provider sent the browser back');
  return session;
}
