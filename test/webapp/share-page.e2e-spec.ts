// database-neutral: drives the staff app in a browser or serves its files; the API and SQL behind its pages are covered on both databases by the API suites
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expectNoSeriousViolations } from './axe.js';
import { sessionPage } from './staff-session.js';
import { addIdpPerson, CookieJar, jsonHeaders, launchChromium, oidcGatewayEnv, rawRequest, serveGateway, signInThroughIdp, TestGateway, TestIdp, unzipTest } from '@mft/testing';

/** The Share page in a real browser, for an employee signed in through the real OpenID provider. */
describe('the staff app Share page', { timeout: 240_000 }, () => {
  const secret = randomBytes(24).toString('base64url');
  let idp: TestIdp;
  let gw: TestGateway;
  let browser: Browser;
  let root: string;
  const sessions: Record<string, string> = {};
  const plan = randomBytes(70_001);
  const quarterly = randomBytes(12_345);
  // More entries than one page of the API (100 by default).
  const many = Array.from({ length: 105 }, (_, i) => `f${String(i).padStart(3, '0')}.txt`);

  before(async () => {
    idp = await TestIdp.listen();
    gw = await TestGateway.start({ env: oidcGatewayEnv(idp, secret) });
    serveGateway(idp, gw.baseUrl, secret);
    addIdpPerson(idp, 'dana', ['design']);
    addIdpPerson(idp, 'nico', []);
    const admin = await gw.token();
    root = mkdtempSync(join(tmpdir(), 'mft-share-page-'));
    const files: Record<string, Buffer | string> = {
      'projects/alpha/brief.txt': 'the brief, in full',
      'projects/alpha/drawings/plan.bin': plan,
      'projects/quarterly.bin': quarterly,
      'handbook/welcome.md': 'welcome',
      'private/salaries.csv': 'not for sharing',
      'archive/old.txt': 'old',
      ...Object.fromEntries(many.map((name) => [`projects/many/${name}`, name])),
    };
    for (const [rel, content] of Object.entries(files)) {
      mkdirSync(join(root, rel, '..'), { recursive: true });
      writeFileSync(join(root, rel), content);
    }
    for (const [name, settings] of [
      [
        'Team files',
        {
          root,
          shareRoots: [
            { path: '/projects', roles: [], groups: ['design'] },
            { path: '/handbook', roles: [], groups: ['design'] },
          ],
        },
      ],
      ['Design archive', { root: join(root, 'archive'), shareRoots: [{ path: '/', roles: [], groups: ['design'] }] }],
    ] as const) {
      const made = await fetch(`${gw.baseUrl}/api/v1/connections`, { method: 'POST', headers: jsonHeaders(admin), body: JSON.stringify({ name, kind: 'local', settings }) });
      assert.equal(made.status, 201, await made.clone().text());
    }
    const policy = await fetch(`${gw.baseUrl}/api/v1/policy`, {
      method: 'PUT',
      headers: jsonHeaders(admin),
      body: JSON.stringify({ creators: { send: ['admin', 'manager', 'employee'], share: ['admin', 'manager', 'employee'] } }),
    });
    assert.equal(policy.status, 200, await policy.clone().text());
    for (const login of ['dana', 'nico']) {
      sessions[login] = (await signInThroughIdp(new CookieJar(), gw.baseUrl, login, '/app/share')).get('mft_session')!;
    }
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
    await idp?.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function signedIn(login: string, width: number): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const opened = await sessionPage(browser, gw.baseUrl, sessions[login]!, width, 900);
    await opened.page.goto(`${gw.baseUrl}/app/share`);
    return opened;
  }

  const rows = (page: Page) => page.getByRole('table', { name: 'Files', exact: true }).getByRole('row');
  const crumbs = (page: Page) => page.getByRole('navigation', { name: 'Breadcrumb' });

  /** Picks the Team files connection, then its share root /projects, and waits for its listing. */
  async function openTeamFiles(page: Page): Promise<void> {
    await page.getByRole('table', { name: 'Files', exact: true }).waitFor();
    await page.getByLabel('Connection').selectOption({ label: 'Team files' });
    await page.getByRole('heading', { name: 'Folders you may share in Team files' }).waitFor();
    assert.deepEqual(await rows(page).locator('td:first-child').allTextContents(), ['/handbook', '/projects'], 'the share roots of the person, to start from');
    await rows(page).getByRole('button', { name: '/projects', exact: true }).click();
    await page.getByRole('table', { name: 'Files', exact: true }).getByRole('button', { name: 'alpha', exact: true }).waitFor();
  }

  it('shares a folder browsed to through breadcrumbs and pages; the recipient downloads it as a zip of exactly its files', async () => {
    const { context, page, problems } = await signedIn('dana', 1280);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gw.baseUrl });
    await page.getByRole('table', { name: 'Files', exact: true }).waitFor();
    assert.deepEqual(await page.getByLabel('Connection').locator('option').allTextContents(), ['Design archive', 'Team files'], 'both connections, by name');
    await openTeamFiles(page);
    assert.deepEqual(await crumbs(page).locator('li').allTextContents(), ['Team files', 'projects']);
    assert.equal(await crumbs(page).locator('[aria-current]').textContent(), 'projects');
    assert.deepEqual(await rows(page).locator('td:first-child').allTextContents(), ['alpha', 'many', 'quarterly.bin'], 'only what lies in the share root');
    const sizeCell = rows(page).filter({ hasText: 'quarterly.bin' }).locator('td').nth(2);
    assert.equal(await sizeCell.textContent(), '12.1 KiB');
    assert.match((await rows(page).filter({ hasText: 'quarterly.bin' }).locator('td').nth(3).textContent()) ?? '', /\d{4}.*\d{1,2}:\d{2}.*(UTC|GMT)/, 'a modified time with its zone');

    await rows(page).getByRole('button', { name: 'many', exact: true }).click();
    await page.getByRole('heading', { name: '/projects/many' }).waitFor();
    await page.getByText('100 items, more to load', { exact: true }).waitFor();
    assert.equal(await rows(page).count(), 101, 'a header and the first page');
    await page.getByRole('button', { name: 'More', exact: true }).click();
    await page.getByText('105 items', { exact: true }).waitFor();
    assert.deepEqual(await rows(page).locator('td:first-child').allTextContents(), many, 'both pages, in order, each entry once');
    assert.equal(await page.getByRole('button', { name: 'More', exact: true }).count(), 0, 'no more after the last page');

    await crumbs(page).getByRole('button', { name: 'projects' }).click();
    await rows(page).getByRole('button', { name: 'alpha', exact: true }).click();
    await rows(page).getByRole('button', { name: 'drawings', exact: true }).click();
    await rows(page).getByRole('cell', { name: 'plan.bin', exact: true }).waitFor();
    assert.deepEqual(await crumbs(page).locator('li').allTextContents(), ['Team files', 'projects', 'alpha', 'drawings']);
    assert.equal(await crumbs(page).locator('[aria-current]').textContent(), 'drawings');
    await crumbs(page).getByRole('button', { name: 'alpha' }).click();
    await rows(page).getByRole('button', { name: 'drawings', exact: true }).waitFor();
    assert.equal(await crumbs(page).locator('[aria-current]').textContent(), 'alpha');
    await expectNoSeriousViolations(page, 'the Share page with a listing at 1280 px');

    await page.getByRole('button', { name: 'Choose this folder' }).click();
    await page.getByText('The folder /projects/alpha').waitFor();
    assert.equal(await page.getByLabel('Pin the content').count(), 0, 'folders are never pinned');
    await page.getByLabel('Recipients').fill('ann@example.test, bob@example.test');
    await page.getByRole('button', { name: 'Create share link' }).click();
    const ann = page.getByRole('textbox', { name: 'Link for ann@example.test' });
    await ann.waitFor();
    await page.waitForFunction("document.activeElement && document.activeElement.tagName === 'H2' && document.activeElement.textContent === 'Shared'");
    assert.equal(await page.getByRole('textbox', { name: /^Link/ }).count(), 2, 'one link per recipient');
    assert.equal(await ann.getAttribute('readonly'), '');
    const url = await ann.inputValue();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/l\/[\w-]{22,}$/);
    await page.getByRole('button', { name: 'Copy link for ann@example.test' }).click();
    await page.getByText('Copied to the clipboard.', { exact: true }).waitFor();
    assert.equal(await page.evaluate<string>('navigator.clipboard.readText()'), url, 'the Copy button copies that link');
    const linkPage = page.getByRole('link', { name: "Open the link's page" });
    assert.match((await linkPage.getAttribute('href')) ?? '', /^\/app\/links\/[0-9a-f-]{36}$/);
    await expectNoSeriousViolations(page, 'the Share page after creation at 1280 px');
    await page.screenshot({ path: join(tmpdir(), 'mft-webapp-share-desktop.png'), fullPage: true });

    const archive = await rawRequest(`${url}/archive`);
    assert.equal(archive.status, 200);
    assert.equal(archive.headers['content-type'], 'application/zip');
    const dir = mkdtempSync(join(tmpdir(), 'mft-share-page-zip-'));
    try {
      const zip = join(dir, 'alpha.zip');
      writeFileSync(zip, archive.body);
      unzipTest(zip);
      assert.deepEqual(execFileSync('zipinfo', ['-1', zip]).toString().trim().split('\n').sort(), ['brief.txt', 'drawings/plan.bin']);
      execFileSync('unzip', ['-q', zip, '-d', join(dir, 'out')]);
      assert.equal(readFileSync(join(dir, 'out', 'brief.txt'), 'utf8'), 'the brief, in full');
      assert.ok(readFileSync(join(dir, 'out', 'drawings', 'plan.bin')).equals(plan), 'the exact bytes');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    await linkPage.click();
    await page.getByRole('table', { name: 'Recipients', exact: true }).waitFor();
    assert.deepEqual(problems, [], 'no console errors (a CSP refusal would show here)');
    await context.close();
  });

  it('at 390 px, shares a file (pinned by default) whose grant URL answers its bytes; a refusal shows the API\'s message', async () => {
    const { context, page, problems } = await signedIn('dana', 390);
    await openTeamFiles(page);
    assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), 390, 'no sideways scrolling');
    await expectNoSeriousViolations(page, 'the Share page with a listing at 390 px');
    await page.screenshot({ path: join(tmpdir(), 'mft-webapp-share-listing-phone.png'), fullPage: true });

    // By keyboard: a folder opens on Enter and reading goes on from its heading; the breadcrumbs lead back.
    await rows(page).getByRole('button', { name: 'alpha', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: '/projects/alpha' }).waitFor();
    await page.waitForFunction("document.activeElement && document.activeElement.tagName === 'H2' && document.activeElement.textContent === '/projects/alpha'");
    await rows(page).getByRole('button', { name: 'drawings', exact: true }).waitFor();
    await crumbs(page).getByRole('button', { name: 'projects' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Choose quarterly.bin' }).focus();
    await page.keyboard.press('Space');
    await page.getByText('The file /projects/quarterly.bin').waitFor();
    const pin = page.getByLabel('Pin the content');
    assert.equal(await pin.isChecked(), true);
    assert.ok(await page.getByText('the link stops working if the file changes').isVisible());

    await page.getByLabel('Recipients').fill('not-an-address');
    await page.getByRole('button', { name: 'Create share link' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const shown = (await alert.textContent()) ?? '';
    assert.match(shown, /recipients/);
    assert.doesNotMatch(shown, /^HTTP|^\d{3}$|^[a-z_]+$/, 'a sentence, not a code');

    await page.getByRole('button', { name: 'Remove not-an-address' }).click();
    await page.getByRole('button', { name: 'Create share link' }).click();
    const box = page.getByRole('textbox', { name: /^Link/ });
    await box.waitFor();
    assert.equal(await box.count(), 1, 'one link to pass on');
    const url = await box.inputValue();
    const meta = await fetch(url, { headers: { accept: 'application/json' } });
    assert.equal(meta.status, 200);
    const { files } = (await meta.json()) as { files: Array<{ id: string; name: string; size: number }> };
    assert.deepEqual(files.map((f) => [f.name, f.size]), [['quarterly.bin', quarterly.length]]);
    const got = await rawRequest(`${url}/files/${files[0]!.id}`);
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(quarterly), 'the file’s exact bytes');
    assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), 390, 'no sideways scrolling');
    await expectNoSeriousViolations(page, 'the Share page after creation at 390 px');
    await page.screenshot({ path: join(tmpdir(), 'mft-webapp-share-phone.png'), fullPage: true });
    assert.deepEqual(problems.filter((p) => !/status of 400/.test(p)), []);
    await context.close();
  });

  it('an employee with no share roots is told so, and who can help', async () => {
    for (const width of [390, 1280]) {
      const { context, page } = await signedIn('nico', width);
      await page.getByText('You may not share from any storage connection. Ask an administrator.').waitFor();
      assert.equal(await page.getByRole('table', { name: 'Files' }).count(), 0);
      assert.equal(await page.getByRole('button', { name: 'Create share link' }).count(), 0);
      await expectNoSeriousViolations(page, `the empty Share page at ${width} px`);
      await page.screenshot({ path: join(tmpdir(), `mft-webapp-share-empty-${width}.png`), fullPage: true });
      await context.close();
    }
  });
});
