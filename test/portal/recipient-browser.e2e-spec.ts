// database-neutral: drives the recipient page in a browser; the links, grants and claims behind it are covered on both databases by test/links/*
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { LinkView } from '@mft/links';
import { createSendLink, eventually, launchChromium, rawRequest, SmtpSink, TestGateway } from '@mft/testing';

const PASSWORD = 'correct horse battery staple';
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The recipient's side in a real browser (headless Chromium): the page, its forms, the download. */
describe('the recipient page in a real browser', () => {
  let sink: SmtpSink;
  let gw: TestGateway;
  let token: string;
  let browser: Browser;

  before(async () => {
    sink = await SmtpSink.start();
    gw = await TestGateway.start({ env: { SMTP_URL: sink.url, MAIL_POLL_SECONDS: '0.3' } });
    await gw.addUser({ user: 'sam', roles: ['employee'], email: 'sam@corp.example' });
    token = await gw.token('sam');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
    await sink?.stop();
  });

  /** A fresh browser profile that records every console error (a CSP violation shows there). */
  async function newPage(): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') {
        errors.push(m.text());
      }
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('response', (r) => {
      if (r.status() >= 400 && r.request().resourceType() !== 'document') {
        errors.push(`${r.status()} ${r.url()}`);
      }
    });
    return { context, page, errors };
  }

  it('from the email to the file: confirm the address with the emailed code, unlock with the password, download, and the audit names the address', async () => {
    const report = Buffer.from('%PDF-1.7 quarterly report '.repeat(5000));
    const created = await createSendLink(
      gw.baseUrl,
      token,
      [
        { name: 'report.pdf', content: report },
        { name: 'notes.txt', content: 'notes' },
      ],
      { recipients: 'rita@partner.example', password: PASSWORD, requireEmailVerification: 'true', message: 'Here are the figures.' },
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const invitation = await sink.latest('rita@partner.example', /sent you 2 files/);
    const url = /(http:\/\/\S+\/l\/[A-Za-z0-9_-]+)/.exec(invitation.text)![1]!;
    assert.equal(url, created.body.grants[0]!.url);

    const { context, page, errors } = await newPage();
    await page.goto(url);
    assert.match(await page.title(), /Files shared with you/);
    assert.ok(await page.getByText('Here are the figures.').isVisible());
    assert.ok(await page.getByRole('heading', { name: 'Confirm your email address' }).isVisible());
    assert.equal(await page.locator('table.files').count(), 0, 'no file is listed before the checks');

    await page.getByLabel('Your email address', { exact: true }).fill('rita@partner.example');
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.getByRole('heading', { name: 'Enter the code from your email' }).waitFor();
    const code = /^\s+(\d{6})\s*$/m.exec((await sink.latest('rita@partner.example', /Your code/)).text)![1]!;
    await page.getByLabel('Code', { exact: true }).fill('000000' === code ? '111111' : '000000');
    await page.getByRole('button', { name: 'Confirm' }).click();
    assert.ok(await page.getByRole('alert').filter({ hasText: 'That code is not right' }).isVisible());
    await page.getByLabel('Code', { exact: true }).fill(code);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('Confirmed as').waitFor();

    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByRole('button', { name: 'Unlock' }).click();
    assert.ok(await page.getByRole('alert').filter({ hasText: 'That password is not correct' }).isVisible());
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.locator('table.files').waitFor();
    assert.equal(await page.locator('table.files tbody tr').count(), 2);
    assert.ok(await page.getByText(sha256(report)).isVisible(), 'the checksum is shown');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download report.pdf' }).click()]);
    assert.equal(download.suggestedFilename(), 'report.pdf');
    const saved = readFileSync((await download.path())!);
    assert.equal(sha256(saved), sha256(report));
    assert.deepEqual(errors, [], 'no console errors (no content-security-policy violation)');
    await context.close();

    const linkId = created.body.id;
    const events = await eventually(
      'the completed download in the audit log',
      async () =>
        (await (await fetch(`${gw.baseUrl}/api/v1/audit/events?linkId=${linkId}&format=json`, { headers: { authorization: `Bearer ${await gw.token()}` } })).json()) as Array<{
          type: string;
          actor: string;
        }>,
      (list) => list.some((e) => e.type === 'download.completed'),
    );
    assert.equal(events.find((e) => e.type === 'download.completed')!.actor, 'recipient:rita@partner.example');
    const tracking = (await (await fetch(`${gw.baseUrl}/api/v1/links/${linkId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as LinkView;
    assert.notEqual(tracking.grants[0]!.deliveredAt, null);
    assert.notEqual(tracking.grants[0]!.openedAt, null);
  });

  it('a used-up link shows a page that says what happened and whom to ask', async () => {
    const created = await createSendLink(gw.baseUrl, token, [{ name: 'once.txt', content: 'only once' }], { oneTime: 'true', notify: 'false' });
    const url = created.body.grants[0]!.url;
    const view = (await (await fetch(`${gw.baseUrl}/api/v1/links/${created.body.id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as LinkView;
    assert.equal((await rawRequest(`${url}/files/${view.files[0]!.id}`)).status, 200);
    await eventually('the grant used up', () => rawRequest(url, { headers: { accept: 'application/json' } }), (r) => r.status === 410);
    const { context, page } = await newPage();
    const response = await page.goto(url);
    assert.equal(response!.status(), 410);
    assert.ok(await page.getByText(/already been used: its files were downloaded once/).isVisible());
    assert.ok(await page.getByText('ask sam (sam@corp.example), who sent you this link, to send them again').isVisible());
    await context.close();
  });

  it('at 390 px wide the file list fits the screen: no sideways scrolling, the checksum and the download button in view', async () => {
    const created = await createSendLink(gw.baseUrl, token, [{ name: 'quarterly-figures-final-version.xlsx', content: 'figures' }, { name: 'b.txt', content: 'b' }], { notify: 'false' });
    const url = created.body.grants[0]!.url;
    const context = await browser.newContext({ viewport: { width: 390, height: 800 } });
    const page = await context.newPage();
    await page.goto(url);
    assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), 390);
    assert.equal(await page.getByRole('table').getByRole('row').count(), 3, 'the list keeps its rows for screen readers');
    const button = page.getByRole('link', { name: 'Download quarterly-figures-final-version.xlsx' });
    const box = (await button.boundingBox())!;
    assert.ok(box.x >= 0 && box.x + box.width <= 390, `the button lies at ${box.x}..${box.x + box.width}`);
    await page.screenshot({ path: join(tmpdir(), 'mft-recipient-390.png'), fullPage: true });
    await context.close();
  });
});
