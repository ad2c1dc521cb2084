// database-neutral: drives the Branding page and the branded pages in a browser; the branding API and its SQL are covered on both databases by branding-api and brands
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator } from 'playwright-core';
import { launchChromium, SmtpSink, styleOf, type TestGateway, type TestIdp } from '@mft/testing';
import { expectNoSeriousViolations } from '../webapp/axe.js';
import { sendThroughApi, sessionPage, signInWithChromium, startWithIdp } from '../webapp/staff-session.js';
import { writeLogoPng } from './logo-file.js';

/** The computed style of an element, read in the page (this file is compiled without the DOM's types). */
const loaded = (loc: Locator): Promise<boolean> => loc.evaluate((img) => {
  const i = img as unknown as { complete: boolean; naturalWidth: number };
  return i.complete && i.naturalWidth > 0;
});

const FAST_MAIL = { MAIL_POLL_SECONDS: '0.3', MAIL_RETRY_BASE_SECONDS: '0.3', MAIL_RETRY_MAX_SECONDS: '1' };

/** An admin brands the gateway through the Branding page; a recipient's page and email then carry it (real Chromium, real SMTP). */
describe('the Branding page, in a real browser', () => {
  let gw: TestGateway;
  let idp: TestIdp;
  let sink: SmtpSink;
  let browser: Browser;
  let session: string;
  let sender: string;
  let logoFile: string;

  before(async () => {
    sink = await SmtpSink.start();
    // The admin signs in through a real OpenID provider, in the IdP group mapped to admin.
    ({ gw, idp } = await startWithIdp('ada', { SMTP_URL: sink.url, MAIL_FROM: 'no-reply@acme.example', ...FAST_MAIL }));
    await gw.addUser({ user: 'gina', roles: ['employee'], email: 'gina@acme.example' });
    sender = await gw.token('gina');
    browser = await launchChromium();
    session = await signInWithChromium(browser, gw, 'ada', '/app');
    logoFile = await writeLogoPng('mft-branding-', 'acme-logo.png', '<rect x="8" y="8" width="64" height="64" rx="12" fill="#c2410c"/><text x="84" y="52" font-size="30" font-family="sans-serif" fill="#0b3d91">ACME</text>');
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
    await idp?.close();
    await sink?.stop();
  });

  it('refuses a colour without enough contrast next to its field, then saves name, colours and logo; the header, recipient page and invitation carry them', async () => {
    const { context, page, problems } = await sessionPage(browser, gw.baseUrl, session, 1280, 1000);
    await page.goto(`${gw.baseUrl}/app/links`);
    await page.getByRole('link', { name: 'Branding', exact: true }).click();
    assert.equal(new URL(page.url()).pathname, '/app/admin/branding');
    await page.getByLabel('Name', { exact: true }).waitFor();
    assert.equal(await page.title(), 'Branding · Secure file transfer');
    await expectNoSeriousViolations(page, 'the Branding page');

    await page.getByLabel('Name', { exact: true }).fill('Acme Secure Files');
    await page.getByLabel('Primary colour').fill('#ffff00');
    await page.getByRole('button', { name: 'Save' }).click();
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /primaryColor #ffff00 with white text \(the page header\) has a contrast of 1\.07:1; at least 4\.5:1 is needed/);
    assert.equal(await page.getByLabel('Primary colour').getAttribute('aria-invalid'), 'true', 'the refusal is tied to its field');

    await page.getByLabel('Primary colour').fill('#0b3d91');
    await page.getByLabel('Accent colour').fill('#7a1f5c');
    await page.getByLabel('Footer').fill('Acme Corp, 1 Road, Town');
    await page.getByLabel('Logo').setInputFiles(logoFile);
    const previewHeader = page.locator('.preview-page .preview-header');
    assert.equal(await previewHeader.innerText(), 'Acme Secure Files', 'the preview follows the form');
    assert.equal(await styleOf(previewHeader, 'backgroundColor'), 'rgb(11, 61, 145)');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await page.screenshot({ path: '/tmp/mft-branding-page-1280.png', fullPage: true });
    const header = page.locator('header.top');
    await header.getByText('Acme Secure Files').waitFor();
    assert.equal(await loaded(header.locator('img.logo')), true, 'the staff app header shows the logo');
    await page.reload();
    await page.getByLabel('Name', { exact: true }).waitFor();
    assert.equal(await page.title(), 'Branding · Acme Secure Files');
    assert.equal(await styleOf(page.locator('header.top'), 'backgroundColor'), 'rgb(11, 61, 145)', 'the staff app header has the primary colour (theme.css)');
    assert.deepEqual(problems.filter((p) => !/status of 422/.test(p)), [], 'nothing failed but the refusal the test asked for');
    await context.close();

    const link = await sendThroughApi(gw, sender, 'plan.pdf', ['hank@partner.example']);
    for (const width of [1280, 390]) {
      const recipient = await browser.newContext({ viewport: { width, height: 800 } });
      const tab = await recipient.newPage();
      const logoRequests: string[] = [];
      const errors: string[] = [];
      tab.on('request', (r) => new URL(r.url()).pathname === '/branding/logo' && logoRequests.push(r.url()));
      tab.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await tab.goto(link.grants[0]!.url);
      assert.equal(await tab.title(), 'Files shared with you · Acme Secure Files');
      const top = tab.locator('header.brand');
      assert.equal(await top.innerText(), 'Acme Secure Files');
      assert.equal(await styleOf(top, 'backgroundColor'), 'rgb(11, 61, 145)');
      assert.equal(await loaded(top.locator('img.logo')), true, 'the logo loaded');
      assert.equal(logoRequests.length, 1);
      assert.equal(await styleOf(tab.getByRole('link', { name: /Download/ }).first(), 'color'), 'rgb(122, 31, 92)', 'the accent colour');
      assert.ok((await tab.locator('footer').innerText()).includes('Acme Corp, 1 Road, Town'));
      assert.deepEqual(errors, [], 'no CSP violation or failed load');
      await tab.screenshot({ path: `/tmp/mft-branding-recipient-${width}.png`, fullPage: true });
      await recipient.close();
    }

    const mail = await sink.latest('hank@partner.example', /sent you a file/);
    assert.equal(mail.raw.from?.value[0]?.name, 'Acme Secure Files');
    assert.equal(mail.raw.from?.value[0]?.address, 'no-reply@acme.example');
    assert.ok(mail.text.includes('through Acme Secure Files.'));
    assert.ok(mail.html.includes('Acme Secure Files'));
    const logoUrl = /<img src="([^"]+\/branding\/logo[^"]+)"/.exec(mail.html.replaceAll('&#x3D;', '='))?.[1];
    assert.ok(logoUrl?.startsWith(`${gw.baseUrl}/branding/logo?v=`), `the email's logo is an absolute URL: ${String(logoUrl)}`);
    const served = await fetch(logoUrl!);
    assert.equal(served.status, 200);
    assert.equal(served.headers.get('content-type'), 'image/png');
  });

  it('at 390 px the Branding page stacks the form over the preview, and passes axe', async () => {
    const { context, page, problems } = await sessionPage(browser, gw.baseUrl, session, 390, 900);
    await page.goto(`${gw.baseUrl}/app/admin/branding`);
    await page.getByLabel('Name', { exact: true }).waitFor();
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Acme Secure Files');
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.ok(overflow <= 0, `no horizontal scrolling (${overflow} px too wide)`);
    await expectNoSeriousViolations(page, 'the Branding page at 390 px');
    await page.screenshot({ path: '/tmp/mft-branding-page-390.png', fullPage: true });
    await page.getByRole('button', { name: 'Remove logo' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Remove logo' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('header.top img.logo').waitFor({ state: 'detached' });
    assert.equal((await fetch(`${gw.baseUrl}/branding/logo`)).status, 404);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('HTML and template syntax in the name and footer stay text in the staff app header and title', async () => {
    const hostile = '<img src=x onerror="window.__hit=1"> {{constructor}} <script>window.__hit=2</script>';
    const res = await fetch(`${gw.baseUrl}/api/v1/branding`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${await gw.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: hostile, footer: hostile }),
    });
    assert.equal(res.status, 200);
    const { context, page, problems } = await sessionPage(browser, gw.baseUrl, session, 1280, 800);
    await page.goto(`${gw.baseUrl}/app/admin/branding`);
    await page.getByLabel('Name', { exact: true }).waitFor();
    assert.equal(await page.locator('header.top .product').innerText(), hostile, 'shown as the text it is');
    assert.equal(await page.title(), `Branding · ${hostile}`);
    assert.equal(await page.locator('header.top img[src="x"], header.top script').count(), 0);
    assert.equal(await page.evaluate<unknown>('window.__hit'), undefined, 'nothing of it ran');
    assert.equal(await page.locator('.preview-page .preview-footer-text').innerText(), hostile, 'the preview escapes it too');
    assert.deepEqual(problems, []);
    await context.close();
  });
});
