// database-neutral: drives the Users and API tokens pages in a browser; the API and SQL behind them are covered on both databases by test/admin/users-api
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { addIdpPerson, CookieJar, launchChromium, oidcGatewayEnv, serveGateway, signInThroughIdp, TestGateway, TestIdp } from '@mft/testing';
import { expectNoSeriousViolations } from './axe.js';
import { sendThroughApi, sessionPage } from './staff-session.js';

/** The administrators' Users and API tokens pages, in Chromium, signed in as an admin through a real OpenID provider. */
describe('the Users and API tokens pages', { timeout: 240_000 }, () => {
  let idp: TestIdp;
  let gw: TestGateway;
  let browser: Browser;
  let ivySession: string;
  let samSession: string;
  let ivyToken: string;
  let samToken: string;
  let aliceToken: string;
  let grantUrl: string;
  const secret = randomBytes(24).toString('base64url');

  before(async () => {
    idp = await TestIdp.listen();
    gw = await TestGateway.start({ env: oidcGatewayEnv(idp, secret) });
    serveGateway(idp, gw.baseUrl, secret);
    addIdpPerson(idp, 'ivy', ['mft-admins']);
    addIdpPerson(idp, 'sam');
    ivySession = (await signInThroughIdp(new CookieJar(), gw.baseUrl, 'ivy')).get('mft_session')!;
    samSession = (await signInThroughIdp(new CookieJar(), gw.baseUrl, 'sam')).get('mft_session')!;
    await gw.addUser({ user: 'alice', roles: ['employee'], email: 'alice@corp.example', groups: ['sales'] });
    ivyToken = await gw.token('ivy');
    samToken = await gw.token('sam');
    aliceToken = await gw.token('alice');
    grantUrl = (await sendThroughApi(gw, samToken, 'plan.txt', ['reader@partner.example'])).grants[0]!.url;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
    await idp?.close();
  });

  const bearer = (token: string): Promise<number> => fetch(`${gw.baseUrl}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);

  async function usersPage(width: number): Promise<{ page: Page; problems: string[]; close: () => Promise<void> }> {
    const { context, page, problems } = await sessionPage(browser, gw.baseUrl, ivySession, width, 900);
    await page.goto(`${gw.baseUrl}/app/links`);
    await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('table', { name: 'Users', exact: true }).getByRole('row', { name: /alice/ }).waitFor();
    return { page, problems, close: () => context.close() };
  }

  const rowOf = (page: Page, name: string) => page.getByRole('table', { name: 'Users', exact: true }).getByRole('row').filter({ hasText: name });

  for (const width of [1280, 390]) {
    it(`at ${width} px the Users table lists people with their roles (SSO roles read-only, from the provider), and passes axe`, async () => {
      const { page, problems, close } = await usersPage(width);
      try {
        assert.equal(new URL(page.url()).pathname, '/app/admin/users');
        assert.equal(await page.title(), 'Users · Secure file transfer');
        const table = page.getByRole('table', { name: 'Users', exact: true });
        assert.equal(await table.getByRole('row').count(), 4, 'a header and alice, ivy, sam');
        for (const name of ['alice', 'Ivy Example', 'Sam Example']) {
          assert.equal(await rowOf(page, name).getByRole('button', { name: 'Disable', exact: true }).count(), 1, `a Disable button for ${name}`);
        }
        assert.match((await rowOf(page, 'Sam Example').getByRole('cell').nth(1).textContent()) ?? '', /^employee from Single sign-on$/);
        assert.match((await rowOf(page, 'Ivy Example').getByRole('cell').nth(1).textContent()) ?? '', /^admin from Single sign-on$/);
        assert.equal(await rowOf(page, 'Sam Example').getByRole('button', { name: 'Change roles' }).count(), 0, "an SSO user's roles are not edited here");
        assert.equal(await rowOf(page, 'alice').getByRole('button', { name: 'Change roles' }).count(), 1);
        assert.match((await rowOf(page, 'alice').textContent()) ?? '', /1 token, 0 SSH keys, 0 app passwords/);
        assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), width, 'no sideways scrolling');
        await expectNoSeriousViolations(page, `the Users page at ${width} px`);
        await page.screenshot({ path: join(tmpdir(), `mft-users-users-${width}.png`), fullPage: true });
        assert.deepEqual(problems, []);
      } finally {
        await close();
      }
    });
  }

  it('searches and filters the list', async () => {
    const { page, close } = await usersPage(1280);
    try {
      const table = page.getByRole('table', { name: 'Users', exact: true });
      const search = page.getByRole('search', { name: 'Find users' });
      await search.getByLabel('Search', { exact: true }).fill('EXAMPLE.TEST');
      await search.getByRole('button', { name: 'Search' }).click();
      await table.getByRole('row').filter({ hasText: 'alice' }).waitFor({ state: 'detached' });
      await rowOf(page, 'Sam Example').waitFor();
      assert.equal(await table.getByRole('row').count(), 3, 'ivy and sam (their emails and names)');
      await search.getByLabel('Role').selectOption('admin');
      await rowOf(page, 'Sam Example').waitFor({ state: 'detached' });
      await rowOf(page, 'Ivy Example').waitFor();
      assert.equal(await table.getByRole('row').count(), 2);
      await search.getByLabel('Search', { exact: true }).fill('');
      await search.getByLabel('Role').selectOption('');
      await search.getByLabel('Group').fill('sales');
      await search.getByRole('button', { name: 'Search' }).click();
      await rowOf(page, 'Ivy Example').waitFor({ state: 'detached' });
      await rowOf(page, 'alice').waitFor();
      assert.equal(await table.getByRole('row').count(), 2);
      assert.equal(await rowOf(page, 'alice').count(), 1);
      await search.getByLabel('Group').fill('');
      await search.getByLabel('State').selectOption('true');
      await table.getByRole('cell', { name: 'No users match this search.' }).waitFor();
    } finally {
      await close();
    }
  });

  it("changes a local user's roles in a dialog, and the change applies to their token", async () => {
    const { page, close } = await usersPage(390);
    try {
      assert.equal((await fetch(`${gw.baseUrl}/api/v1/audit/verify`, { headers: { authorization: `Bearer ${aliceToken}` } })).status, 403);
      await rowOf(page, 'alice').getByRole('button', { name: 'Change roles' }).click();
      const dialog = page.getByRole('dialog', { name: 'Roles of alice' });
      await dialog.waitFor();
      assert.equal(await dialog.getByRole('checkbox', { name: 'employee' }).isChecked(), true);
      await dialog.getByRole('checkbox', { name: 'employee' }).uncheck();
      await dialog.getByRole('button', { name: 'Save roles' }).click();
      await dialog.getByRole('alert').filter({ hasText: 'Choose at least one role.' }).waitFor();
      await dialog.getByRole('checkbox', { name: 'auditor' }).check();
      await dialog.getByRole('checkbox', { name: 'employee' }).check();
      await page.screenshot({ path: join(tmpdir(), 'mft-users-roles-390.png'), fullPage: true });
      await dialog.getByRole('button', { name: 'Save roles' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.getByRole('status').filter({ hasText: 'The roles of alice are now: employee, auditor.' }).waitFor();
      assert.equal(await rowOf(page, 'alice').getByRole('cell').nth(1).textContent(), 'employee, auditor');
      assert.equal((await fetch(`${gw.baseUrl}/api/v1/audit/verify`, { headers: { authorization: `Bearer ${aliceToken}` } })).status, 200, 'alice is an auditor now');
    } finally {
      await close();
    }
  });

  it("disabling sam (after a confirmation naming what ends) stops his open browser session and API token; his link keeps working; Enable brings the account back; an admin cannot disable themselves", async () => {
    const sam = await sessionPage(browser, gw.baseUrl, samSession, 1280);
    await sam.page.goto(`${gw.baseUrl}/app/links`);
    await sam.page.getByRole('table', { name: 'Links', exact: true }).waitFor();
    const { page, problems, close } = await usersPage(390);
    try {
      await rowOf(page, 'Sam Example').getByRole('button', { name: 'Disable', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Disable sam?' });
      await dialog.waitFor();
      const text = (await dialog.textContent()) ?? '';
      assert.match(text, /every browser session of sam/);
      assert.match(text, /1 API token;/);
      assert.match(text, /0 SSH keys and 0 app passwords/);
      assert.match(text, /Signing in again through Single sign-on is refused/);
      assert.match(text, /Their links keep working/);
      await expectNoSeriousViolations(page, 'the Disable confirmation');
      await page.screenshot({ path: join(tmpdir(), 'mft-users-disable-390.png'), fullPage: true });
      assert.equal(await bearer(samToken), 200, 'nothing ended before the confirmation');
      await dialog.getByRole('button', { name: 'Disable', exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.getByRole('status').filter({ hasText: 'sam is disabled.' }).waitFor();
      assert.match((await rowOf(page, 'Sam Example').getByRole('cell').nth(3).textContent()) ?? '', /^Disabled/);
      assert.equal(await rowOf(page, 'Sam Example').getByRole('button', { name: 'Disable', exact: true }).count(), 0);

      assert.equal((await sam.page.request.get(`${gw.baseUrl}/api/v1/me`)).status(), 401, "sam's open browser session stops at its next request");
      await sam.page.reload();
      await sam.page.waitForURL(/\/auth\/login/);
      assert.equal(await bearer(samToken), 401, "sam's API token stops");
      assert.equal((await fetch(grantUrl, { headers: { accept: 'application/json' } })).status, 200, 'his link keeps working');

      await rowOf(page, 'Ivy Example').getByRole('button', { name: 'Disable', exact: true }).click();
      const self = page.getByRole('dialog', { name: 'Disable ivy?' });
      await self.getByRole('button', { name: 'Disable', exact: true }).click();
      await self.getByRole('alert').filter({ hasText: 'You cannot disable your own account. Ask another administrator.' }).waitFor();
      await page.screenshot({ path: join(tmpdir(), 'mft-users-self-390.png'), fullPage: true });
      await self.getByRole('button', { name: 'Cancel' }).click();
      await self.waitFor({ state: 'detached' });
      assert.equal(await bearer(ivyToken), 200);

      await rowOf(page, 'Sam Example').getByRole('button', { name: 'Enable', exact: true }).click();
      await page.getByRole('status').filter({ hasText: /sam is enabled again\. Their earlier sessions, tokens, SSH keys and app passwords stay revoked/ }).waitFor();
      assert.equal(await rowOf(page, 'Sam Example').getByRole('button', { name: 'Disable', exact: true }).count(), 1);
      assert.equal(await bearer(samToken), 401, 'the token stays revoked');
      assert.deepEqual(problems.filter((p) => !/409/.test(p)), []);
    } finally {
      await close();
      await sam.context.close();
    }
  });

  it('pages with More when there are more users than a page holds', async () => {
    for (let i = 1; i <= 24; i++) {
      await gw.addUser({ user: `user-${String(i).padStart(2, '0')}`, roles: ['employee'] });
    }
    const { page, close } = await usersPage(1280);
    try {
      const table = page.getByRole('table', { name: 'Users', exact: true });
      assert.equal(await table.getByRole('row').count(), 26, 'a header and the first 25 users');
      await page.getByRole('button', { name: 'More', exact: true }).click();
      await rowOf(page, 'user-24').waitFor();
      assert.equal(await table.getByRole('row').count(), 28);
      assert.equal(await page.getByRole('button', { name: 'More', exact: true }).count(), 0, 'the last page');
    } finally {
      await close();
    }
  });

  for (const width of [1280, 390]) {
    it(`at ${width} px the API tokens page lists every live token with its owner, and passes axe`, async () => {
      const { context, page, problems } = await sessionPage(browser, gw.baseUrl, ivySession, width, 900);
      try {
        await page.goto(`${gw.baseUrl}/app/admin/users`);
        await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'API tokens', exact: true }).click();
        assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'API tokens of all users');
        const table = page.getByRole('table', { name: 'API tokens', exact: true });
        const alice = table.getByRole('row').filter({ hasText: 'alice' });
        await alice.waitFor();
        assert.ok(await table.getByRole('row').filter({ hasText: 'Ivy Example' }).count() >= 1);
        assert.equal(await table.getByRole('row').filter({ hasText: 'Sam Example' }).count(), 0, "sam's revoked token is not live");
        assert.match((await alice.textContent()) ?? '', /cli/);
        assert.match((await alice.textContent()) ?? '', /links:read, links:write, audit:read, admin/);
        assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), width, 'no sideways scrolling');
        await expectNoSeriousViolations(page, `the API tokens page at ${width} px`);
        await page.screenshot({ path: join(tmpdir(), `mft-users-tokens-${width}.png`), fullPage: true });
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    });
  }

  it("revokes someone else's token after a confirmation; it stops working at once", async () => {
    const { context, page } = await sessionPage(browser, gw.baseUrl, ivySession, 390, 900);
    try {
      await page.goto(`${gw.baseUrl}/app/admin/tokens`);
      const table = page.getByRole('table', { name: 'API tokens', exact: true });
      const alice = table.getByRole('row').filter({ hasText: 'alice' });
      await alice.getByRole('button', { name: 'Revoke' }).click();
      const dialog = page.getByRole('dialog', { name: 'Revoke the token “cli” of alice?' });
      await dialog.waitFor();
      assert.equal(await bearer(aliceToken), 200);
      await dialog.getByRole('button', { name: 'Revoke', exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.getByRole('status').filter({ hasText: 'The token “cli” of alice is revoked.' }).waitFor();
      assert.equal(await alice.count(), 0);
      assert.equal(await bearer(aliceToken), 401, "alice's token stops working");
      const audit = (await (await fetch(`${gw.baseUrl}/api/v1/audit/events?type=token.revoked&format=jsonl`, { headers: { authorization: `Bearer ${ivyToken}` } })).text())
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { actor: string; details: Record<string, unknown> });
      assert.deepEqual(
        audit.map((e) => [e.actor, e.details.username, e.details.revokedBy]),
        [['user:ivy', 'alice', 'ivy']],
      );
    } finally {
      await context.close();
    }
  });
});
