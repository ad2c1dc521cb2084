// database-neutral: drives the staff app in a browser or serves its files; the API and SQL behind its pages are covered on both databases by the API suites
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, TestGateway } from '@mft/testing';
import { expectNoSeriousViolations } from './axe.js';
import { signInLocalAdmin } from './staff-session.js';

const SCOPES = [
  { scope: 'links:read', description: 'See your links, your profile and your tokens' },
  { scope: 'links:write', description: 'Send files, share, revoke and resend your links' },
  { scope: 'audit:read', description: 'Read and verify the audit log (admins and auditors only)' },
  { scope: 'admin', description: 'Everything your roles allow, administration included' },
];

/** My settings: API tokens created with scopes and an expiry, shown once, listed, revoked, in a real browser. */
describe('the Settings page manages API tokens', () => {
  let gw: TestGateway;
  let browser: Browser;
  let session: string;
  let admin: string;

  before(async () => {
    gw = await TestGateway.start();
    session = (await signInLocalAdmin(gw)).get('mft_session')!;
    admin = await gw.token();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
  });

  async function signedIn(width: number): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
    await context.addCookies([{ name: 'mft_session', value: session, url: gw.baseUrl, httpOnly: true, sameSite: 'Lax' }]);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    return { context, page, problems };
  }

  const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });

  it('the API lists the scopes a token may have, and each token with its dates, in its OpenAPI document too', async () => {
    const scopes = await fetch(`${gw.baseUrl}/api/v1/tokens/scopes`, bearer(admin));
    assert.equal(scopes.status, 200);
    assert.deepEqual(await scopes.json(), SCOPES);
    const list = (await (await fetch(`${gw.baseUrl}/api/v1/tokens`, bearer(admin))).json()) as Array<Record<string, unknown>>;
    assert.equal(list.length, 1);
    assert.deepEqual(Object.keys(list[0]!).sort(), ['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'revokedAt', 'scopes']);
    assert.equal(list[0]!.name, 'cli');
    assert.equal(list[0]!.expiresAt, null);
    assert.equal(typeof list[0]!.lastUsedAt, 'string', 'the token that listed itself was used just now');
    const doc = (await (await fetch(`${gw.baseUrl}/api/docs`, { headers: { accept: 'application/json' } })).json()) as {
      paths: Record<string, Record<string, { summary?: string }>>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    assert.equal(doc.paths['/api/v1/tokens/scopes']?.get?.summary, 'The scopes a token may be given');
    assert.equal(doc.paths['/api/v1/tokens']?.get?.summary, 'List your API tokens');
    assert.deepEqual(Object.keys(doc.components.schemas.ApiTokenDto!.properties).sort(), ['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'revokedAt', 'scopes']);
  });

  it('at 390 px: creates a token with a name, one scope and 30 days, shows it once with a Copy button, lists it, and revokes it after a confirmation', async () => {
    const { context, page, problems } = await signedIn(390);
    await page.goto(`${gw.baseUrl}/app/links`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    assert.equal(new URL(page.url()).pathname, '/app/settings');
    assert.equal(await page.title(), 'Settings · Secure file transfer');
    const table = page.getByRole('table', { name: 'API tokens', exact: true });
    await table.waitFor();
    assert.equal(await table.getByRole('row').count(), 2, 'a header and the token the test made with the CLI');

    await page.getByRole('form', { name: 'Create a token' }).getByLabel('Name', { exact: true }).fill('nightly backup');
    assert.equal(await page.getByRole('checkbox', { name: 'links:read' }).isChecked(), true);
    await page.getByRole('checkbox', { name: 'links:write' }).uncheck();
    assert.equal(await page.getByRole('checkbox', { name: 'admin' }).isChecked(), false);
    await page.getByLabel('Expires').selectOption({ label: 'In 30 days' });
    await page.getByRole('button', { name: 'Create token' }).click();

    const box = page.getByRole('textbox', { name: 'New token', exact: true });
    await box.waitFor();
    const token = await box.inputValue();
    assert.match(token, /^mft_[\w-]{40,}$/);
    assert.equal(await box.getAttribute('readonly'), '');
    assert.ok(await page.getByText('Copy it now: it will not be shown again.').isVisible());
    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    assert.equal(await page.evaluate<string>('navigator.clipboard.readText()'), token);

    const row = table.getByRole('row').filter({ hasText: 'nightly backup' });
    await row.waitFor();
    assert.ok(await row.getByRole('cell', { name: 'links:read', exact: true }).isVisible());
    const created = ((await (await fetch(`${gw.baseUrl}/api/v1/tokens`, bearer(admin))).json()) as Array<{ name: string; expiresAt: string; scopes: string[] }>).find(
      (t) => t.name === 'nightly backup',
    )!;
    assert.deepEqual(created.scopes, ['links:read']);
    const days = (new Date(created.expiresAt).getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, `expires in ${days} days`);
    assert.equal(await row.locator('time').nth(1).getAttribute('datetime'), created.expiresAt, 'the Expires cell is the API\'s expiry');
    const cells = row.getByRole('cell');
    assert.match((await cells.nth(2).textContent()) ?? '', /\b(UTC|GMT)$/, 'times name the zone');
    assert.match((await cells.nth(3).textContent()) ?? '', /\b(UTC|GMT)$/);
    assert.equal(await cells.nth(4).textContent(), 'Not used yet');
    assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), 390, 'no sideways scrolling');
    await page.screenshot({ path: join(tmpdir(), 'mft-settings-new-token-phone.png'), fullPage: true });

    assert.equal((await fetch(`${gw.baseUrl}/api/v1/me`, bearer(token))).status, 200, 'the token works');
    const write = await fetch(`${gw.baseUrl}/api/v1/links`, { method: 'POST', ...bearer(token) });
    assert.equal(write.status, 403, 'and only within its scope');

    await page.reload();
    await table.waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'New token' }).count(), 0, 'the secret is shown only once');
    assert.doesNotMatch(await page.content(), new RegExp(token));
    assert.doesNotMatch((await table.getByRole('row').filter({ hasText: 'nightly backup' }).textContent()) ?? '', /Not used yet/, 'its use is listed');

    // Escape cancels; the confirmation's Revoke revokes.
    await table.getByRole('row').filter({ hasText: 'nightly backup' }).getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke the token “nightly backup”?' });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/me`, bearer(token))).status, 200, 'cancelled: still valid');
    await table.getByRole('row').filter({ hasText: 'nightly backup' }).getByRole('button', { name: 'Revoke' }).click();
    await dialog.waitFor();
    await page.screenshot({ path: join(tmpdir(), 'mft-settings-revoke-phone.png'), fullPage: true });
    await dialog.getByRole('button', { name: 'Revoke', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await table.getByRole('row').filter({ hasText: 'nightly backup' }).waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('status').filter({ hasText: 'revoked' }).textContent(), 'The token “nightly backup” is revoked.');
    assert.equal(await page.evaluate<string | undefined>('document.activeElement?.textContent'), 'Your tokens', 'the focus stays on the page, at the list');
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/me`, bearer(token))).status, 401, 'a revoked token is refused');
    assert.deepEqual(problems, []);
    await context.close();
  });

  it("a refusal shows the API's own message: a token with no scope", async () => {
    const { context, page, problems } = await signedIn(1280);
    await page.goto(`${gw.baseUrl}/app/settings`);
    await page.getByRole('table', { name: 'API tokens', exact: true }).waitFor();
    await page.getByRole('form', { name: 'Create a token' }).getByLabel('Name', { exact: true }).fill('no scope');
    for (const s of SCOPES) {
      await page.getByRole('checkbox', { name: s.scope, exact: true }).uncheck();
    }
    await page.getByRole('button', { name: 'Create token' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const api = await fetch(`${gw.baseUrl}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'no scope', scopes: [], expiresInDays: 90 }),
    });
    assert.equal(api.status, 400);
    assert.equal(await alert.textContent(), ((await api.json()) as { message: string }).message);
    assert.equal(await page.getByRole('textbox', { name: 'New token' }).count(), 0);
    assert.deepEqual(problems.filter((p) => !/status of 400/.test(p)), []);
    await context.close();
  });

  for (const width of [390, 1280]) {
    it(`passes axe at ${width} px with a token listed and with a new token shown`, async () => {
      const { context, page } = await signedIn(width);
      await page.goto(`${gw.baseUrl}/app/settings`);
      await page.getByRole('table', { name: 'API tokens', exact: true }).getByRole('button', { name: 'Revoke' }).first().waitFor();
      await expectNoSeriousViolations(page, 'settings with a token listed');
      await page.screenshot({ path: join(tmpdir(), `mft-settings-${String(width)}.png`), fullPage: true });
      await page.getByRole('form', { name: 'Create a token' }).getByLabel('Name', { exact: true }).fill(`axe ${String(width)}`);
      await page.getByRole('button', { name: 'Create token' }).click();
      await page.getByRole('textbox', { name: 'New token', exact: true }).waitFor();
      await expectNoSeriousViolations(page, 'settings with a new token shown');
      await page.screenshot({ path: join(tmpdir(), `mft-settings-new-token-${String(width)}.png`), fullPage: true });
      await page.getByRole('table', { name: 'API tokens', exact: true }).getByRole('button', { name: 'Revoke' }).first().click();
      await page.getByRole('dialog').waitFor();
      await expectNoSeriousViolations(page, 'settings with the revoke confirmation open');
      assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), width, 'no sideways scrolling');
      await context.close();
    });
  }
});
