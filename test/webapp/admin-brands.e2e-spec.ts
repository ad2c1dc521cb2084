// database-neutral: drives the brands of the Branding page in a browser; the brands API and its SQL are covered on both databases by test/branding/brands
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { launchChromium, rawRequest, type TestGateway, type TestIdp } from '@mft/testing';
import { expectNoSeriousViolations } from './axe.js';
import { sessionPage, signInWithChromium, startWithIdp } from './staff-session.js';
import { writeLogoPng } from '../branding/logo-file.js';

/** The text of what a control's aria-describedby names (its hint and, when refused, what is wrong with it). */
const descriptionOf = (loc: Locator): Promise<string> =>
  loc.evaluate((el) => {
    const doc = (el as unknown as { ownerDocument: { getElementById: (id: string) => { textContent: string | null } | null } }).ownerDocument;
    const ids = ((el as unknown as { getAttribute: (n: string) => string | null }).getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
    return ids.map((id) => doc.getElementById(id)?.textContent ?? '').join(' ');
  });

/** The text of the element that has the focus. */
const focused = (page: Page): Promise<string> => page.evaluate<string>('document.activeElement ? document.activeElement.textContent : ""');

/** Several brands on the Branding page, in Chromium, signed in as an admin through a real OpenID provider; pages on a brand's domain then carry it. */
describe('the brands of the Branding page', { timeout: 240_000 }, () => {
  let gw: TestGateway;
  let idp: TestIdp;
  let browser: Browser;
  let session: string;
  let logoFile: string;
  let admin: string;

  /** A request to the gateway as if to `host` (every name resolves to it on loopback). */
  const asHost = (host: string, path: string) => rawRequest(`${gw.baseUrl}${path}`, { headers: { host: `${host}:${gw.port}`, accept: 'text/html' } });
  const brands = (page: Page): Locator => page.getByRole('table', { name: 'Brands', exact: true });
  /** Each brand row's cells (name, domains, groups, order; not the buttons), as one line each. */
  const listed = async (page: Page): Promise<string[]> => {
    const rows = await brands(page).getByRole('row').all();
    return Promise.all(rows.slice(1).map(async (r) => (await r.getByRole('cell').allInnerTexts()).slice(0, 4).map((t) => t.split(/\s+/).join(' ')).join(' | ')));
  };
  const rowOf = (page: Page, name: string): Locator => brands(page).getByRole('row').filter({ hasText: name });

  before(async () => {
    ({ gw, idp } = await startWithIdp('ada'));
    admin = await gw.token();
    // A brand made through the API: the one whose domain the new brand will try to take.
    const gamma = await fetch(`${gw.baseUrl}/api/v1/brands`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Gamma Files', primaryColor: '#5b21b6', accentColor: '#5b21b6', domains: ['gamma.test'], groups: ['gamma-staff'], position: 5 }),
    });
    assert.equal(gamma.status, 201, await gamma.clone().text());
    browser = await launchChromium();
    session = await signInWithChromium(browser, gw, 'ada', '/app');
    logoFile = await writeLogoPng('mft-brands-', 'beta-logo.png', '<circle cx="40" cy="40" r="30" fill="#14532d"/><text x="84" y="52" font-size="30" font-family="sans-serif" fill="#14532d">BETA</text>');
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
    await idp?.close();
  });

  it('creates a brand with a domain, an IdP group and a logo; a contrast failure, a bad host name and a taken domain are named on their fields; edits it; its domain then serves it', async () => {
    const { context, page, problems } = await sessionPage(browser, gw.baseUrl, session, 1280, 1000);
    await page.goto(`${gw.baseUrl}/app/links`);
    await page.getByRole('link', { name: 'Branding', exact: true }).click();
    await brands(page).getByRole('row').filter({ hasText: 'Gamma Files' }).waitFor();
    assert.deepEqual(
      await listed(page),
      ['Secure file transfer Default brand | Every other host name | Everyone else | When no other brand matches', 'Gamma Files | gamma.test | gamma-staff | 5'],
      'the default brand first, then the others',
    );
    assert.equal(await rowOf(page, 'Secure file transfer').getByRole('button', { name: 'Delete' }).count(), 0, 'the default brand cannot be deleted');

    // By keyboard: the button, then the new editor's heading has the focus.
    await page.getByRole('button', { name: 'Add a brand' }).focus();
    await page.keyboard.press('Enter');
    const editor = page.getByRole('form', { name: 'New brand' });
    await editor.waitFor();
    assert.equal(await focused(page), 'New brand', 'the new editor’s heading has the focus');
    assert.equal(await editor.getByLabel('Order').inputValue(), '6', 'a new brand comes after the others');
    await editor.getByLabel('Name', { exact: true }).fill('Beta Files');
    await editor.getByLabel('Domains').fill('Beta.Test\nfiles.beta.test');
    await editor.getByLabel('IdP groups').fill('beta-staff');
    await editor.getByLabel('Order').fill('1');
    await editor.getByLabel('Primary colour').fill('#ffff00');
    await editor.getByLabel('Logo').setInputFiles(logoFile);
    await editor.getByRole('button', { name: 'Create brand' }).click();
    const summary = page.getByRole('alert');
    await summary.getByRole('heading', { name: 'The brand was not created' }).waitFor();
    assert.match(await focused(page), /^The brand was not created/, 'the summary takes the focus');
    assert.match(await summary.innerText(), /Primary colour: #ffff00 has a contrast of 1\.07:1 under the white text of the page header and [\d.]+:1 for links of the staff app on the page background #f6f7f9; at least 4\.5:1 is needed\. Choose a darker colour\./);
    assert.match(await summary.innerText(), /The gateway said: primaryColor #ffff00 with white text \(the page header\) has a contrast of 1\.07:1/, "the gateway's own words too");
    const primary = editor.getByLabel('Primary colour');
    assert.equal(await primary.getAttribute('aria-invalid'), 'true');
    assert.match(await descriptionOf(primary), /#ffff00 has a contrast of 1\.07:1 under the white text of the page header/);
    assert.equal(await editor.getByLabel('Accent colour').getAttribute('aria-invalid'), null, 'only the failing colour is marked');
    await summary.getByRole('link', { name: /^Primary colour:/ }).click();
    assert.equal(await primary.evaluate((el) => el === (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement), true, 'the summary’s link moves the focus to the field');
    await page.screenshot({ path: '/tmp/mft-brands-contrast-1280.png', fullPage: true });

    await primary.fill('#14532d');
    await editor.getByLabel('Accent colour').fill('#14532d');
    await editor.getByRole('button', { name: 'Create brand' }).click();
    await page.getByRole('status').filter({ hasText: 'Created. Pages on beta.test, files.beta.test show this brand; new links of people in beta-staff carry it.' }).waitFor();
    // Its name is in the editor's title: it changes with the name saved below.
    const beta = page.getByRole('form', { name: /^Brand “Beta (Secure )?Files”$/ });
    await beta.waitFor();
    assert.equal(await beta.getAttribute('aria-labelledby').then((id) => page.locator(`#${id!}`).innerText()), 'Brand “Beta Files”');
    await rowOf(page, 'Beta Files').waitFor();
    assert.deepEqual(
      await listed(page),
      ['Secure file transfer Default brand | Every other host name | Everyone else | When no other brand matches', 'Beta Files | beta.test files.beta.test | beta-staff | 1', 'Gamma Files | gamma.test | gamma-staff | 5'],
      'in order, with the host names in lower case',
    );
    const previewLogo = beta.locator('xpath=..').locator('.preview-page .preview-header img');
    await previewLogo.waitFor();
    assert.match((await previewLogo.getAttribute('src')) ?? '', /^\/api\/v1\/brands\/[0-9a-f-]{36}\/logo\?v=/, "the preview shows the brand's own logo");
    assert.equal(await previewLogo.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0), true, 'and it loaded');
    await beta.getByRole('button', { name: 'Remove logo' }).waitFor();

    // A host name that is not one, then one another brand serves: each named on Domains.
    const domains = beta.getByLabel('Domains');
    await domains.fill('beta.test\nhttps://files.beta.test/');
    await beta.getByRole('button', { name: 'Save', exact: true }).click();
    await summary.getByRole('heading', { name: 'The brand was not saved' }).waitFor();
    assert.match(await summary.innerText(), /Domains: “https:\/\/files\.beta\.test\/” must be a host name such as files\.acme\.example \(no scheme, port or path\)\./);
    assert.equal(await domains.getAttribute('aria-invalid'), 'true');
    assert.match(await descriptionOf(domains), /“https:\/\/files\.beta\.test\/” must be a host name/);
    await domains.fill('beta.test\ngamma.test');
    await beta.getByRole('button', { name: 'Save', exact: true }).click();
    await summary.filter({ hasText: 'gamma.test' }).waitFor();
    assert.match(await summary.innerText(), /Domains: gamma\.test is already served with the brand “Gamma Files”\./);
    assert.match(await descriptionOf(domains), /gamma\.test is already served with the brand “Gamma Files”\./);
    assert.equal(await domains.getAttribute('aria-invalid'), 'true');
    assert.match(await focused(page), /^The brand was not saved/);
    await page.screenshot({ path: '/tmp/mft-brands-conflict-1280.png', fullPage: true });

    await domains.fill('beta.test, files.beta.test');
    await beta.getByLabel('Name', { exact: true }).fill('Beta Secure Files');
    await beta.getByLabel('Footer').fill('Beta Ltd, 2 Lane, City');
    await beta.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Saved. Pages on beta.test, files.beta.test show this brand' }).waitFor();
    assert.equal(await page.getByRole('alert').count(), 0, 'the refusal is gone');
    assert.equal(await domains.getAttribute('aria-invalid'), null);
    await rowOf(page, 'Beta Secure Files').waitFor();
    assert.equal(await page.locator('header.top .product').innerText(), 'Secure file transfer', 'the staff app here keeps the default brand');
    await page.screenshot({ path: '/tmp/mft-brands-saved-1280.png', fullPage: true });
    await expectNoSeriousViolations(page, 'the Branding page editing a brand');

    // The portal on the brand's domain serves its name and logo; the gateway's own address the default.
    const login = (await asHost('files.beta.test', '/auth/login')).body.toString();
    assert.match(login, /<title>Sign in · Beta Secure Files<\/title>/);
    assert.match(login, /<img class="logo" src="\/branding\/logo\?v(=|&#x3D;)[0-9a-f]+" alt="">/);
    const logo = await asHost('beta.test', '/branding/logo');
    assert.equal(logo.status, 200);
    assert.equal(logo.headers['content-type'], 'image/png');
    assert.deepEqual((await sharp(logo.body).metadata()).width, 240, 'the logo uploaded in the browser');
    assert.equal(JSON.parse((await asHost('beta.test', '/branding.json')).body.toString()).footer, 'Beta Ltd, 2 Lane, City');
    assert.match((await asHost('127.0.0.1', '/auth/login')).body.toString(), /<title>Sign in · Secure file transfer<\/title>/);
    assert.equal((await asHost('127.0.0.1', '/branding/logo')).status, 404);
    assert.deepEqual(
      problems.filter((p) => !/status of (400|409|422)/.test(p)),
      [],
      'nothing failed but the refusals the test asked for',
    );
    await context.close();
  });

  it('at 390 px the list and the editor fit, pass axe, and a brand is deleted behind a confirmation naming it', async () => {
    const { context, page, problems } = await sessionPage(browser, gw.baseUrl, session, 390, 900);
    await page.goto(`${gw.baseUrl}/app/admin/branding`);
    await rowOf(page, 'Beta Secure Files').waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.ok(overflow <= 0, `no horizontal scrolling (${overflow} px too wide)`);
    await expectNoSeriousViolations(page, 'the Branding page at 390 px');
    await page.screenshot({ path: '/tmp/mft-brands-list-390.png', fullPage: true });

    await rowOf(page, 'Beta Secure Files').getByRole('button', { name: 'Edit' }).click();
    const beta = page.getByRole('form', { name: 'Brand “Beta Secure Files”' });
    await beta.waitFor();
    assert.equal(await focused(page), 'Brand “Beta Secure Files”');
    assert.equal(await beta.getByLabel('Domains').inputValue(), 'beta.test\nfiles.beta.test');
    assert.equal(await beta.getByLabel('IdP groups').inputValue(), 'beta-staff');
    assert.equal(await beta.getByLabel('Order').inputValue(), '1');
    assert.ok((await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth')) <= 0, 'the editor fits too');
    await expectNoSeriousViolations(page, 'the brand editor at 390 px');
    await page.screenshot({ path: '/tmp/mft-brands-editor-390.png', fullPage: true });

    // The logo is removed behind its own confirmation.
    await beta.getByRole('button', { name: 'Remove logo' }).click();
    let dialog = page.getByRole('dialog', { name: 'Remove the logo of “Beta Secure Files”?' });
    await dialog.getByRole('button', { name: 'Remove logo' }).click();
    await dialog.waitFor({ state: 'detached' });
    await beta.getByRole('button', { name: 'Remove logo' }).waitFor({ state: 'detached' });
    assert.equal((await asHost('beta.test', '/branding/logo')).status, 404);

    await rowOf(page, 'Beta Secure Files').getByRole('button', { name: 'Delete' }).click();
    dialog = page.getByRole('dialog', { name: 'Delete the brand “Beta Secure Files”?' });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /Pages on beta\.test, files\.beta\.test will show the default brand, and new links of people in beta-staff will carry the default brand\./);
    assert.equal(await focused(page), 'Cancel', 'the safe choice has the focus');
    await page.screenshot({ path: '/tmp/mft-brands-delete-390.png' });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await rowOf(page, 'Beta Secure Files').count(), 1, 'Escape deletes nothing');

    await rowOf(page, 'Beta Secure Files').getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete brand' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('The brand “Beta Secure Files” is deleted.').waitFor();
    await rowOf(page, 'Beta Secure Files').waitFor({ state: 'detached' });
    assert.deepEqual(await listed(page), ['Secure file transfer Default brand | Every other host name | Everyone else | When no other brand matches', 'Gamma Files | gamma.test | gamma-staff | 5'], 'gone from the list');
    assert.equal(await focused(page), 'Brands', 'the list’s heading has the focus');
    await page.getByRole('form', { name: 'Default brand' }).waitFor();
    assert.match((await asHost('beta.test', '/auth/login')).body.toString(), /<title>Sign in · Secure file transfer<\/title>/, 'its domain gets the default brand');
    const left = (await (await fetch(`${gw.baseUrl}/api/v1/brands`, { headers: { authorization: `Bearer ${admin}` } })).json()) as Array<{ name: string }>;
    assert.deepEqual(
      left.map((b) => b.name),
      ['Gamma Files'],
    );
    assert.deepEqual(problems, []);
    await context.close();
  });
});
