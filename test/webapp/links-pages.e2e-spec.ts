// database-neutral: drives the staff app in a browser or serves its files; the API and SQL behind its pages are covered on both databases by the API suites
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { addIdpPerson, CookieJar, launchChromium, oidcGatewayEnv, serveGateway, signInThroughIdp, TestGateway, TestIdp } from '@mft/testing';
import { expectNoSeriousViolations } from './axe.js';
import { sessionPage } from './staff-session.js';
import { sendThroughApi } from './staff-session.js';

const SECRET = 'links-pages-client-secret';
const RECIPIENT_IP = '203.0.113.41';

/**
 * My links and a link's page in headless Chromium, for an employee signed in through a real
 * OpenID provider: the sender watches a download happen, revokes through the dialogs, searches
 * and filters, and every page passes axe at desktop and phone widths.
 */
describe("the staff app's links pages", () => {
  let idp: TestIdp;
  let gw: TestGateway;
  let browser: Browser;
  let session: string;
  let token: string;

  before(async () => {
    idp = await TestIdp.listen();
    addIdpPerson(idp, 'erin');
    gw = await TestGateway.start({ env: { ...oidcGatewayEnv(idp, SECRET), MAIL_POLL_SECONDS: '0.3', TRUSTED_PROXIES: '127.0.0.1' } });
    serveGateway(idp, gw.baseUrl, SECRET);
    const jar = await signInThroughIdp(new CookieJar(), gw.baseUrl, 'erin');
    session = jar.get('mft_session')!;
    const me = (await (await jar.fetch(`${gw.baseUrl}/api/v1/me`)).json()) as { csrfToken: string; roles: string[] };
    assert.deepEqual(me.roles, ['employee']);
    const created = await jar.fetch(`${gw.baseUrl}/api/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
      body: JSON.stringify({ name: 'links pages test', scopes: ['links:read', 'links:write'], expiresInDays: 1 }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    token = ((await created.json()) as { token: string }).token;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
    await idp?.close();
  });

  const signedIn = (width: number): ReturnType<typeof sessionPage> => sessionPage(browser, gw.baseUrl, session, width, 900);

  /** The recipient's side, over plain HTTP from their own address: opens the page, then downloads every file. */
  async function download(url: string): Promise<string> {
    const headers = { accept: 'application/json', 'x-forwarded-for': RECIPIENT_IP };
    const landing = (await (await fetch(url, { headers })).json()) as { files: Array<{ id: string }> };
    const file = await fetch(`${url}/files/${landing.files[0]!.id}`, { headers: { 'x-forwarded-for': RECIPIENT_IP } });
    assert.equal(file.status, 200);
    return file.text();
  }

  const noSideways = async (page: Page, width: number): Promise<void> =>
    assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), width, 'no sideways scrolling of the page');

  it('the open link page shows the download as it happens: the status and time in the Recipients row, and the timeline, without a reload', async () => {
    const link = await sendThroughApi(gw, token, 'watch-me.pdf', ['rita@example.test']);
    const { context, page, problems } = await signedIn(1280);
    await page.goto(`${gw.baseUrl}/app/links/${link.id}`);
    const recipients = page.getByRole('table', { name: 'Recipients', exact: true });
    const row = recipients.getByRole('row').filter({ hasText: 'rita@example.test' });
    await row.getByText('Not opened yet').waitFor();
    assert.equal(await row.getByRole('cell').nth(2).textContent(), 'Not yet');
    const rita = page.getByRole('region', { name: 'rita@example.test' });
    // No mail server is configured: the invitation went to the outbox folder, and says so.
    await rita.getByText('Invitation written to the outbox', { exact: true }).waitFor();
    assert.ok(await rita.getByText('Written to the outbox folder: no mail server is configured, so it was not sent.', { exact: true }).isVisible());
    assert.equal(await rita.getByText('Invitation delivered').count(), 0);
    assert.ok(await row.getByText('Invitation written to the outbox (not sent)').isVisible());
    await page.evaluate('window.__sameDocument = true');

    assert.equal(await download(link.grants[0]!.url), 'contents of watch-me.pdf');

    await row.getByRole('cell', { name: 'Downloaded', exact: true }).waitFor({ timeout: 15_000 });
    const when = row.getByRole('cell').nth(2).locator('time');
    assert.match((await when.textContent()) ?? '', /\d{4}.*\d{1,2}:\d{2}.* (UTC|GMT[+-]?\d*)$/, 'the download time, with the zone named');
    const completed = rita.getByRole('listitem').filter({ hasText: 'Download completed' }).filter({ hasText: 'every file delivered' });
    await completed.waitFor({ timeout: 15_000 });
    assert.ok(await completed.getByText(`IP ${RECIPIENT_IP}`).isVisible());
    const items = await rita.getByRole('listitem').locator('.what').allTextContents();
    assert.deepEqual(
      items.filter((t) => ['Invitation written to the outbox', 'Page opened', 'Download started'].includes(t)),
      ['Invitation written to the outbox', 'Page opened', 'Download started'],
      'oldest first',
    );
    assert.equal(await page.evaluate('window.__sameDocument'), true, 'the page was not reloaded');
    await page.screenshot({ path: join(tmpdir(), 'mft-links-link-downloaded-1280.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('revoking one recipient through its dialog ends only that grant (410), and revoking the link through its dialog ends the rest', async () => {
    const link = await sendThroughApi(gw, token, 'board-pack.pdf', ['sam@example.test', 'tom@example.test']);
    const [sam, tom] = [link.grants.find((g) => g.recipient === 'sam@example.test')!.url, link.grants.find((g) => g.recipient === 'tom@example.test')!.url];
    const { context, page, problems } = await signedIn(390);
    await page.goto(`${gw.baseUrl}/app/links/${link.id}`);
    const recipients = page.getByRole('table', { name: 'Recipients', exact: true });
    const samRow = recipients.getByRole('row').filter({ hasText: 'sam@example.test' });
    await samRow.getByRole('button', { name: 'Revoke', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke access for sam@example.test?' });
    await dialog.waitFor();
    assert.equal(await page.evaluate<string | null>('document.activeElement && document.activeElement.textContent'), 'Cancel', 'focus moves into the dialog');
    await noSideways(page, 390);
    await page.screenshot({ path: join(tmpdir(), 'mft-links-revoke-dialog-390.png'), fullPage: true });
    await expectNoSeriousViolations(page, 'the Revoke dialog');
    await dialog.getByRole('button', { name: 'Revoke', exact: true }).click();
    await samRow.getByRole('cell', { name: 'Revoked', exact: true }).waitFor();
    assert.equal(await dialog.count(), 0);
    assert.equal(await samRow.getByRole('button', { name: 'Revoke', exact: true }).count(), 0, 'a revoked grant has no Revoke');
    assert.equal(await samRow.getByRole('button', { name: 'Resend' }).count(), 0);
    assert.equal((await fetch(sam)).status, 410);
    assert.equal((await fetch(tom)).status, 200, 'the other recipient keeps access');

    await page.getByRole('button', { name: 'Revoke link', exact: true }).click();
    const linkDialog = page.getByRole('dialog', { name: 'Revoke this link?' });
    await linkDialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await linkDialog.count(), 0, 'Cancel closes the dialog');
    assert.equal((await fetch(tom)).status, 200, 'and revokes nothing');

    await page.getByRole('button', { name: 'Revoke link', exact: true }).click();
    await linkDialog.waitFor();
    await page.screenshot({ path: join(tmpdir(), 'mft-links-revoke-link-dialog-390.png'), fullPage: true });
    await expectNoSeriousViolations(page, 'the Revoke link dialog');
    await linkDialog.getByRole('button', { name: 'Revoke link', exact: true }).click();
    await page.getByText('The link is revoked: no recipient can open it any more.').waitFor();
    const tomRow = recipients.getByRole('row').filter({ hasText: 'tom@example.test' });
    await tomRow.getByRole('cell', { name: 'Revoked', exact: true }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Revoke link' }).count(), 0, 'a revoked link has no Revoke link');
    assert.equal(await recipients.getByRole('button').count(), 0);
    assert.equal((await fetch(tom)).status, 410);
    assert.equal((await fetch(sam)).status, 410);
    await noSideways(page, 390);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('Resend shows the new link, and a refusal shows the API\'s message', async () => {
    const link = await sendThroughApi(gw, token, 'resend-me.txt', ['uma@example.test']);
    const { context, page, problems } = await signedIn(1280);
    await page.goto(`${gw.baseUrl}/app/links/${link.id}`);
    const row = page.getByRole('table', { name: 'Recipients', exact: true }).getByRole('row').filter({ hasText: 'uma@example.test' });
    await row.getByRole('button', { name: 'Resend' }).click();
    const fresh = page.getByRole('textbox', { name: 'New link for uma@example.test' });
    await fresh.waitFor();
    assert.notEqual(await fresh.inputValue(), link.grants[0]!.url);
    assert.equal((await fetch(link.grants[0]!.url)).status, 404, 'the previous address stopped working');
    assert.equal((await fetch(await fresh.inputValue())).status, 200);
    // Four more new invitations within the hour reach the limit (rateLimits.resendPerGrant: 5), so the next one is refused: the API's sentence is shown.
    const grantId = ((await (await fetch(`${gw.baseUrl}/api/v1/links/${link.id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { grants: Array<{ id: string }> }).grants[0]!.id;
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${gw.baseUrl}/api/v1/links/${link.id}/grants/${grantId}/resend`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
    }
    await row.getByRole('button', { name: 'Resend' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const shown = (await alert.textContent()) ?? '';
    assert.equal(await fresh.count(), 0, 'the refused resend shows no link');
    assert.ok(shown.length > 20 && !/^HTTP|^\d{3}$|^[a-z_]+$/.test(shown), `a sentence from the API: ${shown}`);
    assert.deepEqual(problems.filter((p) => !/status of 429/.test(p)), []);
    await context.close();
  });

  it('the search box and the status filter narrow the Links table, and stay in the address across a reload', async () => {
    const alpha = await sendThroughApi(gw, token, 'alpha-plan.txt', ['vera@alpha.example']);
    await sendThroughApi(gw, token, 'beta-plan.txt', ['walt@beta.example']);
    const { context, page, problems } = await signedIn(390);
    await page.goto(`${gw.baseUrl}/app/links`);
    const table = page.getByRole('table', { name: 'Links', exact: true });
    await table.getByRole('link', { name: 'beta-plan.txt' }).waitFor();
    assert.ok((await table.getByRole('row').count()) >= 6, 'every link of the employee');

    await page.getByRole('searchbox', { name: 'Search' }).fill('alpha');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(/\?q=alpha$/);
    await table.getByRole('link', { name: 'alpha-plan.txt' }).waitFor();
    assert.equal(await table.getByRole('row').count(), 2, 'a header and the one match');
    await page.reload();
    await table.getByRole('link', { name: 'alpha-plan.txt' }).waitFor();
    assert.equal(await table.getByRole('row').count(), 2);
    assert.equal(await page.getByRole('searchbox', { name: 'Search' }).inputValue(), 'alpha');

    await page.getByRole('searchbox', { name: 'Search' }).fill('vera@ALPHA');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(/\?q=vera%40ALPHA$/);
    await table.getByRole('link', { name: 'alpha-plan.txt' }).waitFor();

    await page.getByRole('searchbox', { name: 'Search' }).fill('');
    await page.getByRole('combobox', { name: 'Status' }).selectOption({ label: 'Revoked' });
    await page.waitForURL(/\?status=revoked$/);
    await table.getByRole('link', { name: 'board-pack.pdf' }).waitFor();
    assert.equal(await table.getByRole('row').count(), 2, 'only the revoked link');
    assert.equal(await table.getByRole('row').nth(1).getByRole('cell').nth(1).textContent(), 'Revoked');

    await page.getByRole('searchbox', { name: 'Search' }).fill('alpha');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await table.getByText('No links match this search.').waitFor();
    await page.reload();
    await table.getByText('No links match this search.').waitFor();
    assert.equal(await page.getByRole('combobox', { name: 'Status' }).inputValue(), 'revoked');

    await page.getByRole('combobox', { name: 'Status' }).selectOption({ label: 'Live' });
    await table.getByRole('link', { name: 'alpha-plan.txt' }).waitFor();
    await table.getByRole('link', { name: 'alpha-plan.txt' }).click();
    assert.equal(new URL(page.url()).pathname, `/app/links/${alpha.id}`);
    await page.getByRole('table', { name: 'Recipients', exact: true }).waitFor();
    await noSideways(page, 390);
    assert.deepEqual(problems, []);
    await context.close();
  });

  for (const width of [1280, 390]) {
    it(`at ${width} px the links page and a link's page pass axe with no sideways scrolling`, async () => {
      const { context, page, problems } = await signedIn(width);
      await page.goto(`${gw.baseUrl}/app/links`);
      await page.getByRole('table', { name: 'Links', exact: true }).getByRole('link', { name: 'watch-me.pdf' }).waitFor();
      await noSideways(page, width);
      await page.screenshot({ path: join(tmpdir(), `mft-links-list-${width}.png`), fullPage: true });
      await expectNoSeriousViolations(page, '/app/links');
      await page.getByRole('table', { name: 'Links', exact: true }).getByRole('link', { name: 'watch-me.pdf' }).click();
      await page.getByRole('table', { name: 'Recipients', exact: true }).getByRole('cell', { name: 'Downloaded', exact: true }).waitFor();
      await page.getByRole('region', { name: 'rita@example.test' }).getByText('Download completed').first().waitFor();
      await noSideways(page, width);
      const [inner, outer] = await page.getByRole('table', { name: 'Recipients', exact: true }).evaluate((t) => [t.parentElement!.scrollWidth, t.parentElement!.clientWidth]);
      assert.ok(inner! <= outer!, `the Recipients table fits without scrolling inside its wrapper (${String(inner)} > ${String(outer)} px)`);
      await page.screenshot({ path: join(tmpdir(), `mft-links-link-${width}.png`), fullPage: true });
      await expectNoSeriousViolations(page, '/app/links/:id');
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
});
