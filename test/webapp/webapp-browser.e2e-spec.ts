// database-neutral: drives the staff app in a browser or serves its files; the API and SQL behind its pages are covered on both databases by the API suites
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, TestGateway } from '@mft/testing';
import { sendThroughApi, sessionPage, signInLocalAdmin } from './staff-session.js';

/** The staff web app in a real browser (headless Chromium), on a phone and on a desktop. */
describe('the staff web app in a real browser', () => {
  let gw: TestGateway;
  let browser: Browser;
  let session: string;
  let link: { id: string; grants: Array<{ recipient: string | null; url: string }> };

  before(async () => {
    gw = await TestGateway.start();
    const jar = await signInLocalAdmin(gw);
    session = jar.get('mft_session')!;
    link = await sendThroughApi(gw, await gw.token(), 'quarterly-report.pdf', ['ann@example.test', 'bob@example.test']);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
  });

  const signedIn = (width: number): Promise<{ context: BrowserContext; page: Page; problems: string[] }> => sessionPage(browser, gw.baseUrl, session, width);

  for (const [label, width] of [
    ['phone', 390],
    ['desktop', 1280],
  ] as const) {
    it(`${label} (${width} px): / lands on the app, the Links table lists the link, its page lists the recipients, a reload of the deep link works`, async () => {
      const { context, page, problems } = await signedIn(width);
      await page.goto(`${gw.baseUrl}/`);
      assert.equal(new URL(page.url()).pathname, '/app');
      const links = page.getByRole('table', { name: 'Links', exact: true });
      await links.waitFor();
      const row = links.getByRole('row').filter({ hasText: 'quarterly-report.pdf' });
      assert.equal(await row.count(), 1);
      assert.ok(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Links' }).isVisible());
      assert.ok(await page.getByRole('button', { name: 'Sign out' }).isVisible());
      assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), width, 'no sideways scrolling');
      await page.screenshot({ path: join(tmpdir(), `mft-webapp-links-${label}.png`), fullPage: true });

      await row.getByRole('link', { name: 'quarterly-report.pdf' }).click();
      assert.equal(new URL(page.url()).pathname, `/app/links/${link.id}`);
      const recipients = page.getByRole('table', { name: 'Recipients', exact: true });
      await recipients.waitFor();
      assert.equal(await recipients.getByRole('row').count(), 3, 'a header and one row per recipient');
      assert.ok(await recipients.getByRole('cell', { name: 'ann@example.test' }).isVisible());

      await page.reload();
      await page.getByRole('table', { name: 'Recipients', exact: true }).waitFor();
      assert.ok(await page.getByRole('cell', { name: 'bob@example.test' }).isVisible(), 'a reload of the deep link shows the same page');
      assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), width, 'no sideways scrolling');
      await page.screenshot({ path: join(tmpdir(), `mft-webapp-link-${label}.png`), fullPage: true });

      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate<string | null>('document.activeElement && document.activeElement.textContent'), 'Skip to content', 'the first Tab reaches the skip link');
      assert.deepEqual(problems, [], 'no console errors (a CSP refusal would show here)');
      await context.close();
    });
  }

  it('the Send page sends a file to two recipients and shows one link per recipient; entries that are not email addresses are refused with a sentence', async () => {
    const { context, page, problems } = await signedIn(390);
    await page.goto(`${gw.baseUrl}/app/links`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Send' }).click();
    assert.equal(new URL(page.url()).pathname, '/app/send');
    await page.getByLabel('Files').setInputFiles({ name: 'minutes.txt', mimeType: 'text/plain', buffer: Buffer.from('the minutes') });
    await page.getByLabel('Recipients').fill('cara@example.test, dan@example.test');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const first = page.getByRole('textbox', { name: 'Link for cara@example.test' });
    await first.waitFor();
    const urls = [await first.inputValue(), await page.getByRole('textbox', { name: 'Link for dan@example.test' }).inputValue()];
    assert.equal(await page.getByRole('textbox', { name: /^Link/ }).count(), 2);
    for (const url of urls) {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/l\/[\w-]{22,}$/);
      assert.equal(await first.getAttribute('readonly'), '');
    }
    assert.notEqual(urls[0], urls[1]);
    const got = await fetch(urls[0]!);
    assert.equal(got.status, 200, 'the address works for the recipient');
    assert.match(await got.text(), /minutes\.txt/);
    assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), 390, 'no sideways scrolling');
    await page.screenshot({ path: join(tmpdir(), 'mft-webapp-send-phone.png'), fullPage: true });

    await page.getByLabel('Files').setInputFiles({ name: 'again.txt', mimeType: 'text/plain', buffer: Buffer.from('x') });
    await page.getByLabel('Recipients').fill('not an address');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const shown = (await alert.textContent()) ?? '';
    assert.doesNotMatch(shown, /^HTTP|^\d{3}$|^[a-z_]+$/, 'a sentence, not a code');
    assert.ok(shown.length > 20, shown);
    assert.deepEqual(problems.filter((p) => !/status of 400/.test(p)), []);
    await context.close();
  });

  it('signing out from the app ends the session and shows the sign-in page', async () => {
    // The last test to use the session: signing out ends it.
    const other = session;
    const context = await browser.newContext({ viewport: { width: 390, height: 800 } });
    await context.addCookies([{ name: 'mft_session', value: other, url: gw.baseUrl, httpOnly: true, sameSite: 'Lax' }]);
    const page = await context.newPage();
    await page.goto(`${gw.baseUrl}/app/links`);
    await page.getByRole('table', { name: 'Links', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${gw.baseUrl}/auth/login`);
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/me`, { headers: { cookie: `mft_session=${other}` } })).status, 401);
    await context.close();
  });

  it('a person without a session who opens a deep link is sent to sign in, keeping the page asked for', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${gw.baseUrl}/app/links/${link.id}`);
    await page.waitForURL(/\/auth\/login/);
    // With no SSO provider configured, the local administrator's disclosure is open already.
    assert.ok(await page.getByText('Sign in as the local administrator (break-glass)').isVisible());
    assert.ok(await page.getByLabel('Password').isVisible());
    await page.screenshot({ path: join(tmpdir(), 'mft-webapp-login-phone.png'), fullPage: true });
    assert.equal(new URL(page.url()).searchParams.get('returnTo'), `/app/links/${link.id}`);
    await context.close();
  });
});
