// database-neutral: drives the staff app's All links and Mail queue pages in a browser; the owner filter and the mail queue's SQL are covered on both databases by admin-links-mail-api and the mail suites
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { eventually, launchChromium, SmtpSink, TestGateway } from '@mft/testing';
import { expectNoSeriousViolations } from './axe.js';
import { sendThroughApi, sessionPage, signInLocalAdmin } from './staff-session.js';

const FAST_MAIL = { MAIL_POLL_SECONDS: '0.3', MAIL_RETRY_BASE_SECONDS: '0.3', MAIL_RETRY_MAX_SECONDS: '1', JOBS_INTERVAL_SECONDS: '0.5' };

/**
 * Administration, All links and Mail queue, in headless Chromium for the local administrator: the
 * links of two people with their owners, searched and filtered by owner; another person's link
 * opened and revoked; the invitations in the mail queue (a real SMTP server, which refuses one
 * domain) with their status, filtered by status.
 */
describe('the staff app All links and Mail queue pages', { timeout: 240_000 }, () => {
  let sink: SmtpSink;
  let gw: TestGateway;
  let browser: Browser;
  let session: string;
  let admin: string;
  let bobLink: { id: string; grants: Array<{ recipient: string | null; url: string }> };
  let carolLink: { id: string; grants: Array<{ recipient: string | null; url: string }> };

  before(async () => {
    sink = await SmtpSink.start({ rejectRecipients: /@nowhere\.example$/ });
    gw = await TestGateway.start({ env: { SMTP_URL: sink.url, ...FAST_MAIL } });
    session = (await signInLocalAdmin(gw)).get('mft_session')!;
    admin = await gw.token();
    await gw.addUser({ user: 'bob', roles: ['employee'], email: 'bob@corp.example' });
    await gw.addUser({ user: 'carol', roles: ['employee'], email: 'carol@corp.example' });
    bobLink = await sendThroughApi(gw, await gw.token('bob'), 'bob-quarterly.pdf', ['rita@partner.example']);
    carolLink = await sendThroughApi(gw, await gw.token('carol'), 'carol-plan.txt', ['ghost@nowhere.example', 'sam@partner.example']);
    // Every invitation has been tried: two accepted, one refused for good.
    await eventually(
      'the invitations are handled',
      async () => (await fetch(`${gw.baseUrl}/api/v1/mail/messages`, { headers: { authorization: `Bearer ${admin}` } })).json() as Promise<Array<{ status: string }>>,
      (list) => list.length === 3 && list.every((m) => m.status === 'sent' || m.status === 'failed'),
    );
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
    await sink?.stop();
  });

  const noSideways = async (page: Page, width: number): Promise<void> =>
    assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), width, 'no sideways scrolling of the page');
  const rowWith = (table: Locator, text: string): Locator => table.getByRole('row').filter({ hasText: text });

  it('All links lists every person\'s links with their owners, searched and filtered by owner', async () => {
    const { context, page, problems } = await sessionPage(browser, gw.baseUrl, session, 1280, 900);
    await page.goto(`${gw.baseUrl}/app/admin/links`);
    const table = page.getByRole('table', { name: 'Links', exact: true });
    await table.getByRole('link', { name: 'carol-plan.txt' }).waitFor();
    assert.equal(await page.title(), 'All links · Secure file transfer');
    assert.deepEqual(await table.getByRole('columnheader').allTextContents(), ['Link', 'Owner', 'Status', 'Created', 'Expires']);
    assert.equal(await rowWith(table, 'bob-quarterly.pdf').getByRole('cell').nth(1).textContent(), 'bob');
    assert.equal(await rowWith(table, 'carol-plan.txt').getByRole('cell').nth(1).textContent(), 'carol');
    assert.equal(await table.getByRole('row').count(), 3, 'a header and both links');

    await page.getByRole('searchbox', { name: 'Search' }).fill('ghost@nowhere');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(/\?q=ghost%40nowhere$/);
    await table.getByRole('link', { name: 'carol-plan.txt' }).waitFor();
    assert.equal(await table.getByRole('row').count(), 2, 'the search finds the recipient of carol\'s link');

    await page.getByRole('searchbox', { name: 'Search' }).fill('');
    await page.getByRole('textbox', { name: 'Owner' }).fill('Bob');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(/\?owner=Bob$/);
    await table.getByRole('link', { name: 'bob-quarterly.pdf' }).waitFor();
    assert.equal(await table.getByRole('row').count(), 2, 'only bob\'s link (the username in any case)');
    await page.reload();
    await table.getByRole('link', { name: 'bob-quarterly.pdf' }).waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Owner' }).inputValue(), 'Bob', 'the filter stays in the address');

    await page.getByRole('textbox', { name: 'Owner' }).fill('nobody');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await table.getByText('No links match this search.').waitFor();
    await page.screenshot({ path: join(tmpdir(), 'mft-adminui-all-links-empty-1280.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('an admin opens another person\'s link from All links and revokes it', async () => {
    const { context, page, problems } = await sessionPage(browser, gw.baseUrl, session, 390, 900);
    await page.goto(`${gw.baseUrl}/app/admin/links`);
    await page.getByRole('table', { name: 'Links', exact: true }).getByRole('link', { name: 'carol-plan.txt' }).click();
    assert.equal(new URL(page.url()).pathname, `/app/links/${carolLink.id}`);
    const recipients = page.getByRole('table', { name: 'Recipients', exact: true });
    await recipients.getByRole('row').filter({ hasText: 'sam@partner.example' }).waitFor();
    assert.ok(await page.getByText('A link of carol.').isVisible(), 'whose link it is');
    assert.ok(await page.getByRole('link', { name: '← All links' }).isVisible(), 'the way back is All links');
    await page.getByRole('button', { name: 'Revoke link', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke this link?' });
    await dialog.getByRole('button', { name: 'Revoke link', exact: true }).click();
    await page.getByText('The link is revoked: no recipient can open it any more.').waitFor();
    await recipients.getByRole('row').filter({ hasText: 'sam@partner.example' }).getByRole('cell', { name: 'Revoked', exact: true }).waitFor();
    await noSideways(page, 390);

    const asCarol = (await (await fetch(`${gw.baseUrl}/api/v1/links/${carolLink.id}`, { headers: { authorization: `Bearer ${await gw.token('carol')}` } })).json()) as { status: string };
    assert.equal(asCarol.status, 'revoked', 'the owner sees it revoked');
    const sam = carolLink.grants.find((g) => g.recipient === 'sam@partner.example')!.url;
    assert.equal((await fetch(sam)).status, 410);
    const bob = bobLink.grants[0]!.url;
    assert.equal((await fetch(bob, { headers: { accept: 'application/json' } })).status, 200, 'the other person\'s link is untouched');

    await page.getByRole('link', { name: '← All links' }).click();
    const table = page.getByRole('table', { name: 'Links', exact: true });
    await rowWith(table, 'carol-plan.txt').getByRole('cell', { name: 'Revoked', exact: true }).waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('the mail queue lists the invitations with their status and errors, filtered by status, each with its link', async () => {
    const { context, page, problems } = await sessionPage(browser, gw.baseUrl, session, 1280, 900);
    await page.goto(`${gw.baseUrl}/app/admin/mail`);
    const table = page.getByRole('table', { name: 'Mail queue' });
    await rowWith(table, 'ghost@nowhere.example').waitFor();
    assert.equal(await page.title(), 'Mail queue · Secure file transfer');
    assert.deepEqual(await table.getByRole('columnheader').allTextContents(), ['To', 'Email', 'Status', 'Attempts', 'Last error', 'Created', 'Sent', 'Link']);
    const cells = async (to: string): Promise<string[]> => (await rowWith(table, to).getByRole('cell').allTextContents()).map((t) => t.trim());
    const ghost = await cells('ghost@nowhere.example');
    assert.deepEqual([ghost[0], ghost[1], ghost[2], ghost[3], ghost[6]], ['ghost@nowhere.example', 'Invitation', 'Failed', '1', '—']);
    assert.match(ghost[4]!, /550/, 'the server\'s refusal');
    const rita = await cells('rita@partner.example');
    assert.deepEqual([rita[1], rita[2], rita[4]], ['Invitation', 'Sent', '—']);
    assert.match(rita[6]!, /\d{1,2}:\d{2}/, 'when it was sent');
    assert.equal(await table.getByRole('row').count(), 4, 'a header and the three invitations');
    assert.ok(!((await page.content()).includes('/l/')), 'no link address in the page');

    await page.getByRole('combobox', { name: 'Status' }).selectOption({ label: 'Failed' });
    await page.waitForURL(/\?status=failed$/);
    await eventually('only the failed message', () => table.locator('tbody tr').count(), (n) => n === 1);
    assert.deepEqual((await cells('ghost@nowhere.example')).slice(0, 3), ['ghost@nowhere.example', 'Invitation', 'Failed']);
    await page.reload();
    await rowWith(table, 'ghost@nowhere.example').waitFor();
    assert.equal(await table.getByRole('row').count(), 2, 'the filter stays in the address');
    await page.screenshot({ path: join(tmpdir(), 'mft-adminui-mail-failed-1280.png'), fullPage: true });
    await expectNoSeriousViolations(page, 'the mail queue filtered by status');

    await page.getByRole('combobox', { name: 'Status' }).selectOption({ label: 'Waiting' });
    await table.getByText('No messages waiting.').waitFor();
    await page.getByRole('combobox', { name: 'Status' }).selectOption({ label: 'Any status' });
    await rowWith(table, 'rita@partner.example').getByRole('link', { name: 'Open the link of the email to rita@partner.example' }).click();
    assert.equal(new URL(page.url()).pathname, `/app/links/${bobLink.id}`);
    await page.getByText('A link of bob.').waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('"More" adds older messages a page at a time', async () => {
    // 55 more invitations: past one page of 50.
    const token = await gw.token('bob');
    await sendThroughApi(gw, token, 'many.txt', Array.from({ length: 55 }, (_, i) => `r${String(i).padStart(2, '0')}@partner.example`));
    const { context, page, problems } = await sessionPage(browser, gw.baseUrl, session, 1280, 900);
    await page.goto(`${gw.baseUrl}/app/admin/mail`);
    const table = page.getByRole('table', { name: 'Mail queue' });
    await rowWith(table, 'r00@partner.example').or(rowWith(table, 'r54@partner.example')).first().waitFor();
    assert.equal(await table.getByRole('row').count(), 51, 'a header and the first 50');
    await page.getByRole('button', { name: 'More' }).click();
    await eventually('the older messages added', () => table.locator('tbody tr').count(), (n) => n === 58);
    assert.equal(await page.getByRole('button', { name: 'More' }).count(), 0, 'nothing older');
    await rowWith(table, 'ghost@nowhere.example').waitFor();
    const ids = await table.locator('tbody tr td:first-child').allTextContents();
    assert.equal(new Set(ids).size, 58, 'no message twice');
    assert.deepEqual(problems, []);
    await context.close();
  });

  for (const width of [1280, 390]) {
    it(`at ${width} px All links and the mail queue pass axe with no sideways scrolling`, async () => {
      const { context, page, problems } = await sessionPage(browser, gw.baseUrl, session, width, 900);
      await page.goto(`${gw.baseUrl}/app/admin/links`);
      await page.getByRole('table', { name: 'Links', exact: true }).getByRole('link', { name: 'bob-quarterly.pdf' }).waitFor();
      await noSideways(page, width);
      await page.screenshot({ path: join(tmpdir(), `mft-adminui-all-links-${width}.png`), fullPage: true });
      await expectNoSeriousViolations(page, `All links at ${width} px`);
      await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Mail queue' }).click();
      await rowWith(page.getByRole('table', { name: 'Mail queue' }), '@partner.example').first().waitFor();
      await noSideways(page, width);
      // 58 messages stacked on a phone are very long: the first screenful shows how they read.
      await page.screenshot({ path: join(tmpdir(), `mft-adminui-mail-${width}.png`), fullPage: width > 400 });
      await expectNoSeriousViolations(page, `the mail queue at ${width} px`);
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
});
