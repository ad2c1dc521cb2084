// database-neutral: drives the staff app in a browser; the API and SQL behind its pages are covered on both databases by the API suites (test/sftp/credentials)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, TestGateway } from '@mft/testing';
import { expectNoSeriousViolations } from './axe.js';
import { signInLocalAdmin } from './staff-session.js';

/** My settings: SSH keys and app passwords for SFTP, added, shown once, listed and revoked, in a real browser. */
describe('the Settings page manages SSH keys and app passwords', () => {
  let gw: TestGateway;
  let browser: Browser;
  let session: string;
  let admin: string;
  let dir: string;
  const keys: Record<string, { pub: string; priv: string; fingerprint: string }> = {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mft-web-keys-'));
    for (const [name, ...args] of [
      ['laptop', '-t', 'ed25519'],
      ['server', '-t', 'rsa', '-b', '3072'],
      ['old', '-t', 'rsa', '-b', '1024'],
      ['axe390', '-t', 'ecdsa', '-b', '256'],
      ['axe1280', '-t', 'ecdsa', '-b', '521'],
    ] as const) {
      const file = join(dir, name);
      execFileSync('ssh-keygen', ['-q', '-N', '', '-C', `${name}@corp.example`, '-f', file, ...args]);
      const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
      keys[name] = { pub: readFileSync(`${file}.pub`, 'utf8'), priv: readFileSync(file, 'utf8'), fingerprint };
    }
    gw = await TestGateway.start();
    session = (await signInLocalAdmin(gw)).get('mft_session')!;
    admin = await gw.token();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
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

  const apiGet = async <T>(path: string): Promise<T> => (await (await fetch(`${gw.baseUrl}/api/v1${path}`, { headers: { authorization: `Bearer ${admin}` } })).json()) as T;
  const apiPost = async (path: string, body: unknown): Promise<{ status: number; message: string }> => {
    const res = await fetch(`${gw.baseUrl}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, message: ((await res.json()) as { message: string }).message };
  };
  const keyForm = (page: Page) => page.getByRole('form', { name: 'Add an SSH key' });
  const passwordForm = (page: Page) => page.getByRole('form', { name: 'Create an app password' });

  it('at 1280 px: adds a key by name and public key, lists it with its type and fingerprint, and revokes it after a confirmation', async () => {
    const { context, page, problems } = await signedIn(1280);
    await page.goto(`${gw.baseUrl}/app/settings`);
    const table = page.getByRole('table', { name: 'SSH keys', exact: true });
    await table.getByRole('cell', { name: 'No SSH keys yet.' }).waitFor();
    assert.ok(await page.getByRole('heading', { name: 'SSH keys', level: 2 }).isVisible());
    assert.match((await page.getByRole('region', { name: 'SSH keys' }).textContent()) ?? '', /sign in to the gateway's SFTP door as admin/);

    await keyForm(page).getByLabel('Name', { exact: true }).fill('work laptop');
    await keyForm(page).getByLabel('Public key', { exact: true }).fill(keys.laptop!.pub);
    await keyForm(page).getByRole('button', { name: 'Add key' }).click();
    const row = table.getByRole('row').filter({ hasText: 'work laptop' });
    await row.waitFor();
    const cells = row.getByRole('cell');
    assert.equal(await cells.nth(0).textContent(), 'work laptop');
    assert.equal(await cells.nth(1).textContent(), 'Ed25519');
    assert.equal(await cells.nth(2).textContent(), keys.laptop!.fingerprint, 'the fingerprint ssh-keygen -l prints');
    assert.match((await cells.nth(3).textContent()) ?? '', /\b(UTC|GMT)$/, 'the time names its zone');
    assert.equal(await cells.nth(4).textContent(), 'Not used yet');
    assert.equal(await page.getByRole('status').filter({ hasText: 'is added' }).textContent(), `The key “work laptop” is added (${keys.laptop!.fingerprint}).`);
    assert.equal(await keyForm(page).getByLabel('Public key', { exact: true }).inputValue(), '', 'the form is cleared');
    const listed = await apiGet<{ keys: Array<{ name: string; fingerprint: string; algorithm: string }> }>('/me/ssh-keys');
    assert.deepEqual(listed.keys.map((k) => [k.name, k.algorithm, k.fingerprint]), [['work laptop', 'ssh-ed25519', keys.laptop!.fingerprint]]);

    await keyForm(page).getByLabel('Name', { exact: true }).fill('build server');
    await keyForm(page).getByLabel('Public key', { exact: true }).fill(keys.server!.pub);
    await keyForm(page).getByRole('button', { name: 'Add key' }).click();
    await table.getByRole('row').filter({ hasText: 'build server' }).getByRole('cell', { name: 'RSA', exact: true }).waitFor();
    await page.screenshot({ path: join(tmpdir(), 'mft-settings-sftp-keys-1280.png'), fullPage: true });

    // Escape cancels; the confirmation's Revoke revokes.
    await row.getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke the SSH key “work laptop”?' });
    await dialog.waitFor();
    assert.match((await dialog.textContent()) ?? '', new RegExp(keys.laptop!.fingerprint.replace(/[+/]/g, '\\$&')));
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await apiGet<{ keys: unknown[] }>('/me/ssh-keys')).keys.length, 2, 'cancelled: still there');
    await row.getByRole('button', { name: 'Revoke' }).click();
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Revoke', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row.waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('status').filter({ hasText: 'revoked' }).textContent(), 'The key “work laptop” is revoked.');
    assert.equal(await page.evaluate<string | undefined>('document.activeElement?.textContent'), 'Your SSH keys', 'the focus stays on the page, at the list');
    assert.deepEqual((await apiGet<{ keys: Array<{ name: string }> }>('/me/ssh-keys')).keys.map((k) => k.name), ['build server']);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it("a refused key shows the API's own message: a private key, a short RSA key, a key registered already", async () => {
    const { context, page, problems } = await signedIn(1280);
    await page.goto(`${gw.baseUrl}/app/settings`);
    await page.getByRole('table', { name: 'SSH keys', exact: true }).waitFor();
    for (const publicKey of [keys.laptop!.priv, keys.old!.pub, keys.server!.pub]) {
      await keyForm(page).getByLabel('Name', { exact: true }).fill('refused');
      await keyForm(page).getByLabel('Public key', { exact: true }).fill(publicKey);
      await keyForm(page).getByRole('button', { name: 'Add key' }).click();
      const api = await apiPost('/me/ssh-keys', { name: 'refused', publicKey });
      assert.ok([400, 409].includes(api.status), String(api.status));
      const alert = keyForm(page).getByRole('alert');
      await alert.filter({ hasText: api.message }).waitFor();
      assert.equal(await alert.textContent(), api.message);
    }
    assert.match((await keyForm(page).getByRole('alert').textContent()) ?? '', /is registered already/);
    await page.screenshot({ path: join(tmpdir(), 'mft-settings-sftp-refused-1280.png'), fullPage: true });
    assert.equal(await page.getByRole('table', { name: 'SSH keys', exact: true }).getByRole('row').filter({ hasText: 'refused' }).count(), 0);
    assert.deepEqual(problems.filter((p) => !/status of (400|409)/.test(p)), []);
    await context.close();
  });

  it('at 390 px: creates an app password, shows it once with a Copy button, lists it, and revokes it after a confirmation', async () => {
    const { context, page, problems } = await signedIn(390);
    await page.goto(`${gw.baseUrl}/app/settings`);
    const table = page.getByRole('table', { name: 'App passwords', exact: true });
    await table.getByRole('cell', { name: 'No app passwords yet.' }).waitFor();
    await passwordForm(page).getByLabel('Name', { exact: true }).fill('lftp on the build server');
    await passwordForm(page).getByRole('button', { name: 'Create app password' }).click();

    const box = page.getByRole('textbox', { name: 'New app password', exact: true });
    await box.waitFor();
    const password = await box.inputValue();
    assert.match(password, /^[a-z2-7]{32}$/);
    assert.equal(await box.getAttribute('readonly'), '');
    assert.ok(await page.getByText('Copy it now: it will not be shown again. Anyone who has it can sign in to SFTP as you.').isVisible());
    assert.ok(await page.getByText('Sign in to SFTP with the user name admin and this password.').isVisible());
    await page.getByRole('region', { name: 'App password “lftp on the build server” created' }).getByRole('button', { name: 'Copy', exact: true }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    assert.equal(await page.evaluate<string>('navigator.clipboard.readText()'), password);

    const row = table.getByRole('row').filter({ hasText: 'lftp on the build server' });
    await row.waitFor();
    assert.equal(await row.getByRole('cell').nth(2).textContent(), 'Not used yet');
    const listed = await apiGet<{ appPasswords: Array<Record<string, unknown>> }>('/me/app-passwords');
    assert.deepEqual(listed.appPasswords.map((p) => p.name), ['lftp on the build server']);
    assert.ok(!JSON.stringify(listed).includes(password), 'the API never lists it');
    assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), 390, 'no sideways scrolling');
    await page.screenshot({ path: join(tmpdir(), 'mft-settings-sftp-new-password-390.png'), fullPage: true });

    await page.reload();
    await table.waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'New app password' }).count(), 0, 'the password is shown only once');
    assert.doesNotMatch(await page.content(), new RegExp(password));

    await row.getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke the app password “lftp on the build server”?' });
    await dialog.waitFor();
    await page.screenshot({ path: join(tmpdir(), 'mft-settings-sftp-revoke-390.png'), fullPage: true });
    await dialog.getByRole('button', { name: 'Revoke', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row.waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('status').filter({ hasText: 'revoked' }).textContent(), 'The app password “lftp on the build server” is revoked.');
    assert.equal(await page.evaluate<string | undefined>('document.activeElement?.textContent'), 'Your app passwords');
    assert.deepEqual((await apiGet<{ appPasswords: unknown[] }>('/me/app-passwords')).appPasswords, []);
    assert.deepEqual(problems, []);
    await context.close();
  });

  for (const width of [390, 1280]) {
    it(`passes axe at ${width} px with keys and app passwords listed, a new password shown, and a confirmation open`, async () => {
      const { context, page } = await signedIn(width);
      await page.goto(`${gw.baseUrl}/app/settings`);
      await keyForm(page).getByLabel('Name', { exact: true }).fill(`phone key ${String(width)}`);
      await keyForm(page).getByLabel('Public key', { exact: true }).fill(keys[`axe${String(width)}`]!.pub);
      await keyForm(page).getByRole('button', { name: 'Add key' }).click();
      await page.getByRole('table', { name: 'SSH keys', exact: true }).getByRole('row').filter({ hasText: `phone key ${String(width)}` }).waitFor();
      await passwordForm(page).getByLabel('Name', { exact: true }).fill(`rclone ${String(width)}`);
      await passwordForm(page).getByRole('button', { name: 'Create app password' }).click();
      await page.getByRole('textbox', { name: 'New app password', exact: true }).waitFor();
      await page.getByRole('table', { name: 'App passwords', exact: true }).getByRole('row').filter({ hasText: `rclone ${String(width)}` }).waitFor();
      await expectNoSeriousViolations(page, 'settings with SSH keys and app passwords');
      assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), width, 'no sideways scrolling');
      await page.screenshot({ path: join(tmpdir(), `mft-settings-sftp-${String(width)}.png`), fullPage: true });
      await page.getByRole('table', { name: 'SSH keys', exact: true }).getByRole('button', { name: 'Revoke' }).first().click();
      await page.getByRole('dialog').waitFor();
      await expectNoSeriousViolations(page, 'settings with the SSH key confirmation open');
      await context.close();
    });
  }
});
