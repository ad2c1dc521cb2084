// database-neutral: drives the staff app's drop folders page in a browser; the drop folders API and its SQL are covered on both databases by test/sftp/drop-folders-api
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { jsonHeaders, launchChromium, TestGateway } from '@mft/testing';
import { expectNoSeriousViolations } from './axe.js';
import { sessionPage, signInLocalAdmin } from './staff-session.js';

interface DropFolderJson {
  id: string;
  name: string;
  recipients: string[];
  options: Record<string, unknown>;
  passwordProtected: boolean;
  message: string | null;
  roles: string[];
  groups: string[];
  version: number;
}

const shot = (name: string): string => join(tmpdir(), `mft-adminui-drop-folders-${name}.png`);
const noSideways = async (page: Page, width: number): Promise<void> =>
  assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), width, 'no sideways scrolling of the page');
/** Console errors other than the refusals the test provokes (the browser logs each 4xx answer). */
const unexpected = (problems: readonly string[]): string[] => problems.filter((p) => !/^Failed to load resource: the server responded with a status of (400|409)/.test(p));
const focusedText = (page: Page): Promise<string | null> => page.evaluate<string | null>('document.activeElement && document.activeElement.textContent');

/**
 * Administration, drop folders of the SFTP ingress, in headless Chromium for the local
 * administrator: created through the form with recipients, link options, a password and who may use
 * it; refusals beside the fields they name; edited with the password kept; deleted after a
 * confirmation; usable at 390 px.
 */
describe('the staff app Drop folders page', { timeout: 240_000 }, () => {
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

  const folders = async (): Promise<DropFolderJson[]> => {
    const res = await fetch(`${gw.baseUrl}/api/v1/drop-folders`, { headers: jsonHeaders(admin) });
    assert.equal(res.status, 200);
    return ((await res.json()) as { dropFolders: DropFolderJson[] }).dropFolders;
  };
  async function openPage(width: number): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const opened = await sessionPage(browser, gw.baseUrl, session, width, 900);
    await opened.page.goto(`${gw.baseUrl}/app/admin/links`);
    await opened.page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Drop folders' }).click();
    await opened.page.getByRole('table', { name: 'Drop folders' }).waitFor();
    return opened;
  }
  const rowOf = (page: Page, name: string): Locator => page.getByRole('table', { name: 'Drop folders' }).getByRole('row').filter({ hasText: `/drop/${name}/` });
  const notice = (page: Page, text: string): Promise<void> => page.getByText(text, { exact: false }).first().waitFor();

  it('creates a folder through the form: recipients, options, a password and who may use it; a bad option and a taken name are named beside their fields', async () => {
    const { context, page, problems } = await openPage(1280);
    assert.equal(await page.title(), 'Drop folders · Secure file transfer');
    assert.ok(await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Drop folders' }).getAttribute('aria-current'), 'the navigation marks the page');
    await page.getByText('No drop folders yet.').waitFor();

    await page.getByRole('button', { name: 'Add a drop folder' }).click();
    const form = page.getByRole('form', { name: 'New drop folder' });
    await form.waitFor();
    assert.equal(await focusedText(page), 'New drop folder', "the form's heading takes the focus");
    await form.getByLabel('Name', { exact: true }).fill('Finance reports');
    await form.getByLabel('Recipients', { exact: true }).fill('auditor@x.example, cfo@y.example ');
    await form.getByLabel('Message (optional)').fill('The monthly reports.');
    await form.getByLabel('One-time links').selectOption({ label: 'Yes (one download each)' });
    await form.getByLabel('Expiry').selectOption({ label: 'Never (where the policy allows it)' });
    await form.getByLabel('Downloads per recipient').fill('lots');
    await form.getByRole('radio', { name: 'Set a password' }).check();
    await form.getByLabel('Password for every link').fill('correct horse battery');
    assert.ok(await form.getByRole('checkbox', { name: 'Employees' }).isChecked(), 'employees by default');
    await form.getByRole('checkbox', { name: 'Managers' }).check();
    await form.getByLabel('IdP groups').fill('finance\ncontrolling');
    await page.screenshot({ path: shot('new-1280'), fullPage: true });

    await form.getByRole('button', { name: 'Create drop folder' }).click();
    const summary = form.getByRole('alert');
    await summary.getByText('The drop folder was not created').waitFor();
    assert.equal(await page.evaluate<boolean>('document.activeElement && document.activeElement.getAttribute("role") === "alert"'), true, 'the summary takes the focus');
    const downloads = form.getByLabel('Downloads per recipient');
    assert.equal(await downloads.getAttribute('aria-invalid'), 'true');
    const described = ((await downloads.getAttribute('aria-describedby')) ?? '').split(' ').filter(Boolean);
    const said = (await Promise.all(described.map((id) => page.locator(`[id="${id}"]`).textContent()))).join(' ');
    assert.match(said, /Downloads per recipient|maxDownloads|number|unlimited/i, `the problem is read with the field: ${said}`);
    assert.equal((await folders()).length, 0, 'nothing was created');
    await summary.getByRole('link', { name: /^Downloads per recipient:/ }).click();
    assert.equal(await downloads.evaluate((el) => el === el.ownerDocument.activeElement), true, "the summary's link moves the focus to the field");

    await downloads.fill('');
    await form.getByRole('button', { name: 'Create drop folder' }).click();
    await notice(page, 'The drop folder “Finance reports” is created: /drop/Finance reports/.');
    assert.equal(await form.count(), 0, 'the form closes');
    const [made] = await folders();
    assert.ok(made);
    assert.deepEqual(
      { name: made.name, recipients: made.recipients, options: made.options, passwordProtected: made.passwordProtected, message: made.message, roles: [...made.roles].sort(), groups: made.groups },
      {
        name: 'Finance reports',
        recipients: ['auditor@x.example', 'cfo@y.example'],
        options: { oneTime: true, expiresAt: 'never' },
        passwordProtected: true,
        message: 'The monthly reports.',
        roles: ['employee', 'manager'],
        groups: ['finance', 'controlling'],
      },
    );
    const row = rowOf(page, 'Finance reports');
    assert.match((await row.textContent()) ?? '', /auditor@x\.example.*cfo@y\.example.*one-time, never expires, password.*Employees, Managers, group finance, group controlling.*by admin/s);

    // The same name in another case is taken: named beside the name.
    await page.getByRole('button', { name: 'Add a drop folder' }).click();
    const again = page.getByRole('form', { name: 'New drop folder' });
    await again.getByLabel('Name', { exact: true }).fill('FINANCE REPORTS');
    await again.getByLabel('Recipients', { exact: true }).fill('someone@x.example ');
    await again.getByRole('button', { name: 'Create drop folder' }).click();
    await again.getByRole('alert').getByText('The drop folder was not created').waitFor();
    const name = again.getByLabel('Name', { exact: true });
    assert.equal(await name.getAttribute('aria-invalid'), 'true');
    assert.match((await again.locator('.field-error').first().textContent()) ?? '', /already exists/);
    await page.screenshot({ path: shot('refused-1280'), fullPage: true });
    await expectNoSeriousViolations(page, 'the drop folder form with a refusal');
    await again.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await folders()).length, 1);
    assert.deepEqual(unexpected(problems), [], 'no script errors');
    await context.close();
  });

  it('edits a folder with its password kept, then deletes it after a confirmation naming it', async () => {
    const { context, page } = await openPage(1280);
    const row = rowOf(page, 'Finance reports');
    await row.getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('form', { name: 'Edit “Finance reports”' });
    await form.waitFor();
    assert.equal(await form.getByLabel('Name', { exact: true }).inputValue(), 'Finance reports', 'the form holds the folder');
    assert.equal(await form.getByLabel('One-time links').inputValue(), 'yes');
    assert.ok(await form.getByRole('radio', { name: 'Keep the password it has' }).isChecked(), 'the password is kept unless changed');
    assert.equal(await form.getByLabel('Password for every link').count(), 0, 'and never shown');
    await form.getByLabel('Downloads per recipient').fill('3');
    await form.getByRole('button', { name: 'Remove cfo@y.example' }).click();
    await form.getByRole('button', { name: 'Save changes' }).click();
    await notice(page, 'The changes to “Finance reports” are saved.');
    const [changed] = await folders();
    assert.deepEqual({ recipients: changed!.recipients, options: changed!.options, passwordProtected: changed!.passwordProtected, version: changed!.version }, { recipients: ['auditor@x.example'], options: { oneTime: true, maxDownloads: 3, expiresAt: 'never' }, passwordProtected: true, version: 2 });

    await rowOf(page, 'Finance reports').getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete the drop folder “Finance reports”?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Delete drop folder' }).click();
    await notice(page, 'The drop folder “Finance reports” is deleted.');
    await page.getByText('No drop folders yet.').waitFor();
    assert.deepEqual(await folders(), []);
    await context.close();
  });

  it('at 390 px the list and the form fit the screen and pass axe', async () => {
    const created = await fetch(`${gw.baseUrl}/api/v1/drop-folders`, {
      method: 'POST',
      headers: jsonHeaders(admin),
      body: JSON.stringify({ name: 'Scans from the front desk', recipients: ['records@clinic.example'], options: { requireEmailVerification: true }, roles: ['employee'] }),
    });
    assert.equal(created.status, 201, await created.text());
    const { context, page, problems } = await openPage(390);
    await rowOf(page, 'Scans from the front desk').waitFor();
    await noSideways(page, 390);
    await page.screenshot({ path: shot('list-390'), fullPage: true });
    await expectNoSeriousViolations(page, 'the drop folders list at 390 px');
    await rowOf(page, 'Scans from the front desk').getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('form', { name: 'Edit “Scans from the front desk”' }).waitFor();
    await noSideways(page, 390);
    await page.screenshot({ path: shot('edit-390'), fullPage: true });
    await expectNoSeriousViolations(page, 'the drop folder form at 390 px');
    assert.deepEqual(unexpected(problems), [], 'no script errors');
    await context.close();
  });
});
