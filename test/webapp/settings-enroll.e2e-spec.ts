// database-neutral: drives the staff app in a browser or serves its files; the API and SQL behind its pages are covered on both databases by the API suites
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generate } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, TestGateway } from '@mft/testing';
import { expectNoSeriousViolations } from './axe.js';
import { ADMIN_PASSWORD } from './staff-session.js';

/** The local administrator's first sign-in in a real browser: TOTP enrolment with a QR code, a retry, then the app. */
describe('the local administrator enrols two-factor sign-in in the browser', () => {
  let gw: TestGateway;
  let browser: Browser;

  before(async () => {
    gw = await TestGateway.start();
    await gw.setPassword('admin', ADMIN_PASSWORD);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
  });

  async function toEnrolment(width: number): Promise<{ page: Page; problems: string[]; close: () => Promise<void> }> {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${gw.baseUrl}/`);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${gw.baseUrl}/auth/local/enroll`);
    return { page, problems, close: () => context.close() };
  }

  for (const width of [1280, 390]) {
    it(`at ${width} px the enrolment page shows the QR code, the key and the link, and passes axe`, async () => {
      const { page, problems, close } = await toEnrolment(width);
      const qr = page.getByRole('img', { name: 'QR code for adding admin to an authenticator app' });
      assert.ok(await qr.isVisible());
      const box = await qr.locator('svg').boundingBox();
      assert.ok(box && box.width >= 150 && box.height >= 150, 'the QR code is large enough to scan');
      const secret = (await page.locator('#totp-secret').textContent())!;
      assert.match(secret, /^[A-Z2-7]{32}$/);
      assert.match(await page.getByLabel('Or copy the authenticator link').inputValue(), new RegExp(`^otpauth://totp/MFT%20gateway:admin\\?secret=${secret}&`));
      assert.equal(await page.getByRole('link', { name: 'Open the link in an authenticator app on this device' }).getAttribute('href'), await page.getByLabel('Or copy the authenticator link').inputValue());
      assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), width, 'no sideways scrolling');
      await page.screenshot({ path: join(tmpdir(), `mft-enroll-${String(width)}.png`), fullPage: true });
      await expectNoSeriousViolations(page, `the enrolment page at ${String(width)} px`);
      assert.deepEqual(problems, [], 'no console errors (a CSP refusal of the QR code would show here)');
      await close();
    });
  }

  it('a wrong code says so next to the field and keeps the same key; the right code shows the recovery codes and leads into the app', async () => {
    const { page, problems, close } = await toEnrolment(390);
    const secret = (await page.locator('#totp-secret').textContent())!;
    const wrong = String((Number(await generate({ secret })) + 500_000) % 1_000_000).padStart(6, '0');
    await page.getByLabel('Six-digit code from the app').fill(wrong);
    await page.getByRole('button', { name: 'Confirm' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent())!, /^That code is not right\. /);
    assert.equal(await page.locator('#totp-secret').textContent(), secret, 'the same key: the authenticator already has it');
    const field = page.getByLabel('Six-digit code from the app');
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate<string | undefined>('document.activeElement?.id'), 'code', 'the field has the focus again');
    assert.equal(await field.evaluate((el) => el.getAttribute('aria-describedby')), 'code-error');
    await page.screenshot({ path: join(tmpdir(), 'mft-enroll-wrong-code-390.png'), fullPage: true });
    await expectNoSeriousViolations(page, 'the enrolment page after a wrong code');

    await field.fill(await generate({ secret }));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('heading', { name: 'Two-factor sign-in is set up' }).waitFor();
    assert.equal(await page.locator('#recovery-codes li').count(), 10);
    await page.getByRole('link', { name: 'Continue to the app' }).click();
    await page.waitForURL(`${gw.baseUrl}/app`);
    await page.getByRole('table', { name: 'Links', exact: true }).waitFor();
    assert.ok(await page.getByRole('button', { name: 'Sign out' }).isVisible());
    assert.deepEqual(problems.filter((p) => !/status of 401/.test(p)), []);
    await close();
  });
});
