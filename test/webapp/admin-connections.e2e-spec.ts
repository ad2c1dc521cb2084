// database-neutral: drives the staff app's connections page in a browser; the connections API and its SQL are covered on both databases by the storage suites
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { jsonHeaders, launchChromium, S3_TEST_CREDENTIALS, SshServer, TestGateway, TestS3Server } from '@mft/testing';
import { expectNoSeriousViolations } from './axe.js';
import { sessionPage, signInLocalAdmin } from './staff-session.js';

interface ConnectionJson {
  id: string;
  name: string;
  kind: string;
  status: string;
  hasSecrets: boolean;
  settings: Record<string, unknown> & { shareRoots: Array<{ path: string; roles: string[]; groups: string[]; write: boolean }> };
}

/** What a field's aria-describedby points at, as a screen reader would read it after its name. */
const descriptionOf = async (field: Locator): Promise<string> => {
  const ids = ((await field.getAttribute('aria-describedby')) ?? '').split(' ').filter(Boolean);
  const texts = await Promise.all(ids.map((id) => field.page().locator(`[id="${id}"]`).textContent()));
  return texts.join(' ');
};

const noSideways = async (page: Page, width: number): Promise<void> =>
  assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), width, 'no sideways scrolling of the page');

/**
 * Administration, storage connections, in headless Chromium for the local administrator: a local
 * folder and an S3 bucket (a real S3 API server) created, tested and edited through the form, share
 * roots, the send storage, refusals beside their fields, and deletion refused while a link uses it.
 */
describe('the staff app Connections page', { timeout: 240_000 }, () => {
  let gw: TestGateway;
  let s3: TestS3Server;
  let sshd: SshServer;
  let browser: Browser;
  let session: string;
  let admin: string;
  let root: string;

  before(async () => {
    gw = await TestGateway.start();
    [s3, sshd] = await Promise.all([TestS3Server.start({ bucket: 'admin-ui-bucket' }), SshServer.start()]);
    session = (await signInLocalAdmin(gw)).get('mft_session')!;
    admin = await gw.token();
    root = mkdtempSync(join(tmpdir(), 'mft-admin-connections-'));
    for (const [rel, content] of Object.entries({ 'projects/brief.txt': 'the brief', 'handbook/welcome.md': 'welcome', 'archive/old.txt': 'old' })) {
      mkdirSync(join(root, rel, '..'), { recursive: true });
      writeFileSync(join(root, rel), content);
    }
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
    await s3?.close();
    await sshd?.close();
    if (root) {
      rmSync(root, { recursive: true, force: true });
    }
  });

  const api = async <T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${gw.baseUrl}/api/v1${path}`, { ...init, headers: jsonHeaders(admin) });
    return { status: res.status, body: (res.status === 204 ? null : await res.json()) as T };
  };
  const byName = async (name: string): Promise<ConnectionJson> => {
    const found = (await api<ConnectionJson[]>('/connections')).body.find((c) => c.name === name);
    assert.ok(found, `a connection named ${name}`);
    return found;
  };

  async function openPage(width: number): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const opened = await sessionPage(browser, gw.baseUrl, session, width, 900);
    await opened.page.goto(`${gw.baseUrl}/app/admin/connections`);
    await opened.page.getByRole('table', { name: 'Storage connections' }).getByRole('row').filter({ hasText: 'Local files' }).waitFor();
    return opened;
  }
  const rowOf = (page: Page, name: string): Locator => page.getByRole('table', { name: 'Storage connections' }).getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });
  const notice = (page: Page, text: string): Promise<void> => page.getByText(text, { exact: false }).first().waitFor();

  it('creates a local connection with a share root through the form, tests it, edits it and makes it the send storage', async () => {
    const { context, page, problems } = await openPage(1280);
    assert.equal(await page.title(), 'Storage connections · Secure file transfer');
    assert.ok(await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Connections' }).getAttribute('aria-current'), 'the navigation marks the page');
    await page.getByRole('button', { name: 'Add a connection' }).click();
    const form = page.getByRole('form', { name: 'New storage connection' });
    await form.waitFor();
    assert.equal(await page.evaluate<string | null>('document.activeElement && document.activeElement.textContent'), 'New storage connection', 'the form\'s heading takes the focus');
    assert.ok(await form.getByRole('radio', { name: 'Local folder' }).isChecked(), 'a local folder by default');
    await form.getByLabel('Name', { exact: true }).fill('Team files');
    await form.getByLabel('Root folder', { exact: true }).fill(root);
    await form.getByRole('button', { name: 'Add a share root' }).click();
    const first = form.getByRole('group', { name: 'Share root 1' });
    // The focus moves once the new row is rendered (a task after the click): wait for it, then check it.
    await page.waitForFunction('document.activeElement && document.activeElement.id !== "" && document.activeElement.value === "/"', undefined, { timeout: 10_000 }).catch(() => undefined);
    assert.equal(await page.evaluate<string | null>('document.activeElement && document.activeElement.value'), '/', 'the new row\'s folder has the focus');
    assert.equal(await first.getByLabel('Folder', { exact: true }).evaluate((el) => el === el.ownerDocument.activeElement), true, 'it is the folder of share root 1');
    await first.getByLabel('Folder', { exact: true }).fill('/projects');
    await first.getByLabel('Groups that may share').fill('design, finance');
    assert.ok(await first.getByRole('checkbox', { name: 'Employees' }).isChecked());
    await page.screenshot({ path: join(tmpdir(), 'mft-adminui-connections-new-1280.png'), fullPage: true });
    await expectNoSeriousViolations(page, 'the new connection form');
    await form.getByRole('button', { name: 'Create connection' }).click();
    await notice(page, 'The connection “Team files” is created and answers.');
    assert.equal(await form.count(), 0, 'the form closes');

    const made = await byName('Team files');
    assert.equal(made.kind, 'local');
    assert.equal(made.settings.root, root);
    assert.deepEqual(made.settings.shareRoots, [{ path: '/projects', roles: ['employee'], groups: ['design', 'finance'], write: false }]);
    const row = rowOf(page, 'Team files');
    assert.match((await row.textContent()) ?? '', /Local folder.*Working.*\/projects: employees, group design, group finance.*No/s);

    await row.getByRole('button', { name: 'Test' }).click();
    await notice(page, 'Test of “Team files”: it works.');

    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit “Team files”' });
    await edit.waitFor();
    assert.equal(await edit.getByLabel('Root folder', { exact: true }).inputValue(), root, 'the form holds the settings');
    assert.equal(await edit.getByRole('radio').count(), 0, 'the kind cannot change');
    assert.equal(await edit.getByRole('group', { name: 'Share root 1' }).getByLabel('Folder', { exact: true }).inputValue(), '/projects');
    await edit.getByRole('button', { name: 'Add a share root' }).click();
    const second = edit.getByRole('group', { name: 'Share root 2' });
    await second.getByLabel('Folder', { exact: true }).fill('/handbook');
    await second.getByRole('checkbox', { name: 'Employees' }).uncheck();
    await second.getByRole('checkbox', { name: 'Managers' }).check();
    await second.getByRole('checkbox', { name: 'They may also change files here over SFTP' }).check();
    await edit.getByLabel('Name', { exact: true }).fill('Team folders');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await notice(page, 'The changes to “Team folders” are saved.');
    const edited = await byName('Team folders');
    assert.equal(edited.id, made.id);
    assert.deepEqual(edited.settings.shareRoots, [
      { path: '/projects', roles: ['employee'], groups: ['design', 'finance'], write: false },
      { path: '/handbook', roles: ['manager'], groups: [], write: true },
    ]);

    // Removing a share root: the row goes, the others keep their values.
    await rowOf(page, 'Team folders').getByRole('button', { name: 'Edit' }).click();
    const again = page.getByRole('form', { name: 'Edit “Team folders”' });
    await again.getByRole('button', { name: 'Remove share root 1' }).click();
    assert.equal(await again.getByRole('group', { name: /^Share root \d$/ }).count(), 1);
    assert.equal(await again.getByRole('group', { name: 'Share root 1' }).getByLabel('Folder', { exact: true }).inputValue(), '/handbook');
    await again.getByRole('button', { name: 'Save changes' }).click();
    await notice(page, 'The changes to “Team folders” are saved.');
    assert.deepEqual((await byName('Team folders')).settings.shareRoots, [{ path: '/handbook', roles: ['manager'], groups: [], write: true }]);

    // The send storage.
    const sendStorage = page.getByRole('region', { name: 'Send storage' });
    assert.match((await sendStorage.textContent()) ?? '', /New send links keep their copies in Local files/);
    await sendStorage.getByRole('combobox', { name: 'Send storage' }).selectOption({ label: 'Team folders' });
    await sendStorage.getByRole('button', { name: 'Use for send links' }).click();
    await notice(page, 'New send links now keep their copies in “Team folders”.');
    const setting = await api<{ connectionId: string; updatedBy: string }>('/settings/send-storage');
    assert.deepEqual([setting.body.connectionId, setting.body.updatedBy], [made.id, 'admin']);
    await page.getByRole('region', { name: 'Send storage' }).getByText(/New send links keep their copies in Team folders \(chosen .* by admin\)/).waitFor();
    assert.equal(await rowOf(page, 'Team folders').getByRole('cell').nth(4).textContent(), 'Yes');

    // The send storage cannot be deleted: said in the dialog, in words.
    await rowOf(page, 'Team folders').getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete the connection “Team folders”?' });
    await dialog.getByRole('button', { name: 'Delete connection' }).click();
    await dialog.getByRole('alert').getByText('This connection holds the copies of send links: choose another send storage above before deleting it.').waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await api(`/connections/${made.id}`)).status, 200, 'not deleted');

    await page.getByRole('region', { name: 'Send storage' }).getByRole('combobox', { name: 'Send storage' }).selectOption({ label: 'Local files' });
    await page.getByRole('region', { name: 'Send storage' }).getByRole('button', { name: 'Use for send links' }).click();
    await notice(page, 'New send links now keep their copies in “Local files”.');
    assert.equal((await api<{ connectionId: string }>('/settings/send-storage')).body.connectionId, 'default');
    assert.deepEqual(problems.filter((p) => !/status of 409/.test(p)), []);
    await context.close();
  });

  it('refusals are shown beside the fields they name, with a summary that takes the focus: a bad root, a missing folder, a loopback endpoint', async () => {
    const { context, page, problems } = await openPage(1280);
    await page.getByRole('button', { name: 'Add a connection' }).click();
    const form = page.getByRole('form', { name: 'New storage connection' });
    await form.getByLabel('Name', { exact: true }).fill('Nowhere');
    const rootField = form.getByLabel('Root folder', { exact: true });
    await rootField.fill('relative/folder');
    await form.getByRole('button', { name: 'Create connection' }).click();
    const summary = form.getByRole('alert');
    await summary.getByText('The connection was not created').waitFor();
    assert.equal(await page.evaluate<boolean>('document.activeElement?.classList.contains("error-summary") ?? false'), true, 'the summary has the focus');
    assert.equal(await rootField.getAttribute('aria-invalid'), 'true');
    assert.match(await descriptionOf(rootField), /Must be an absolute path \(starting with "\/"\)\./);
    await summary.getByRole('link', { name: /Root folder: Must be an absolute path/ }).click();
    assert.equal(await page.evaluate<string | null>('document.activeElement?.id ?? null'), await rootField.getAttribute('id'), 'the summary\'s link moves to the field');

    await rootField.fill(join(root, 'not-there'));
    await form.getByRole('button', { name: 'Create connection' }).click();
    await summary.getByRole('link', { name: /^Root folder: This folder does not exist on the gateway/ }).waitFor();
    assert.match(await descriptionOf(rootField), /This folder does not exist on the gateway \(or is not a folder\)\./);
    await page.screenshot({ path: join(tmpdir(), 'mft-adminui-connections-refused-1280.png'), fullPage: true });
    await expectNoSeriousViolations(page, 'the connection form with refusals');

    // An S3 bucket on a loopback address: refused until the checkbox allows it.
    await form.getByRole('radio', { name: 'S3 bucket' }).check();
    await form.getByLabel('Name', { exact: true }).fill('Object store');
    await form.getByRole('textbox', { name: 'Bucket', exact: true }).fill(s3.bucket);
    await form.getByRole('textbox', { name: 'Prefix', exact: true }).fill('tenant');
    await form.getByRole('textbox', { name: 'Region', exact: true }).fill('us-east-1');
    const endpoint = form.getByRole('textbox', { name: 'Endpoint', exact: true });
    await endpoint.fill(s3.endpoint);
    await form.getByRole('checkbox', { name: /^Path-style addresses/ }).check();
    await form.getByLabel('Server-side encryption').selectOption('AES256');
    await form.getByLabel('Access key ID', { exact: true }).fill(S3_TEST_CREDENTIALS.accessKeyId);
    await form.getByLabel('Secret access key', { exact: true }).fill(S3_TEST_CREDENTIALS.secretAccessKey);
    assert.equal(await form.getByLabel('Secret access key', { exact: true }).getAttribute('type'), 'password');
    await form.getByRole('button', { name: 'Create connection' }).click();
    await summary.getByRole('link', { name: /^Endpoint: Address refused: 127\.0\.0\.1, a loopback address/ }).waitFor();
    assert.equal(await endpoint.getAttribute('aria-invalid'), 'true');
    assert.match(await descriptionOf(endpoint), /loopback address \(set “Allow a loopback address \(127\.0\.0\.1, ::1\)” to allow it\)/);
    assert.equal(await rootField.count(), 0, 'the local fields are gone with the kind');
    await page.screenshot({ path: join(tmpdir(), 'mft-adminui-connections-loopback-1280.png'), fullPage: true });
    await expectNoSeriousViolations(page, 'the S3 form refused for a loopback endpoint');
    assert.equal((await api<ConnectionJson[]>('/connections')).body.some((c) => c.name === 'Object store' || c.name === 'Nowhere'), false, 'nothing was created');

    await form.getByRole('checkbox', { name: 'Allow a loopback address (127.0.0.1, ::1)' }).check();
    await form.getByRole('button', { name: 'Create connection' }).click();
    await notice(page, 'The connection “Object store” is created and answers.');
    const made = await byName('Object store');
    assert.equal(made.kind, 's3');
    assert.equal(made.hasSecrets, true);
    assert.deepEqual(
      { ...made.settings, shareRoots: undefined },
      { bucket: s3.bucket, prefix: 'tenant', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, serverSideEncryption: 'AES256', allowLoopback: true, shareRoots: undefined },
    );
    assert.ok(!JSON.stringify(made).includes(S3_TEST_CREDENTIALS.secretAccessKey), 'the secret never comes back');

    const row = rowOf(page, 'Object store');
    await row.getByRole('button', { name: 'Test' }).click();
    await notice(page, 'Test of “Object store”: it works.');

    // Editing: the secrets are write-only, their fields empty; saving without them keeps them.
    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit “Object store”' });
    const newSecret = edit.getByLabel('New secret access key (leave empty to keep)');
    assert.equal(await newSecret.inputValue(), '');
    assert.equal(await edit.getByLabel('New access key ID (leave empty to keep)').inputValue(), '');
    assert.equal(await edit.getByRole('textbox', { name: 'Bucket', exact: true }).inputValue(), s3.bucket);
    assert.ok(await edit.getByRole('checkbox', { name: 'Allow a loopback address (127.0.0.1, ::1)' }).isChecked());
    const html = await page.content();
    assert.ok(!html.includes(S3_TEST_CREDENTIALS.secretAccessKey), 'no secret in the page');
    await edit.getByRole('textbox', { name: 'Prefix', exact: true }).fill('tenant/archive');
    await page.screenshot({ path: join(tmpdir(), 'mft-adminui-connections-edit-s3-1280.png'), fullPage: true });
    await expectNoSeriousViolations(page, 'the edit form of an S3 connection');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await notice(page, 'The changes to “Object store” are saved.');
    assert.equal((await byName('Object store')).settings.prefix, 'tenant/archive');
    await rowOf(page, 'Object store').getByRole('button', { name: 'Test' }).click();
    await notice(page, 'Test of “Object store”: it works.');
    const tested = await api<{ ok: boolean }>(`/connections/${made.id}/test`, { method: 'POST' });
    assert.equal(tested.body.ok, true, 'the kept secret still opens the bucket');

    // A wrong new secret is refused beside the secrets, and the stored one stays.
    await rowOf(page, 'Object store').getByRole('button', { name: 'Edit' }).click();
    const wrong = page.getByRole('form', { name: 'Edit “Object store”' });
    await wrong.getByLabel('New access key ID (leave empty to keep)').fill('WRONG');
    await wrong.getByLabel('New secret access key (leave empty to keep)').fill('not-the-secret');
    await wrong.getByRole('button', { name: 'Save changes' }).click();
    await wrong.getByRole('alert').getByText('The changes were not saved').waitFor();
    assert.equal(await wrong.getByLabel('New access key ID (leave empty to keep)').getAttribute('aria-invalid'), 'true');
    await wrong.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await api<{ ok: boolean }>(`/connections/${made.id}/test`, { method: 'POST' })).body.ok, true);
    assert.deepEqual(problems.filter((p) => !/status of (400|422)/.test(p)), []);
    await context.close();
  });

  it('creates an SFTP connection with a pinned host key and a private key through the form; a malformed key fingerprint is refused beside its field', async () => {
    const { context, page, problems } = await openPage(1280);
    await page.getByRole('button', { name: 'Add a connection' }).click();
    const form = page.getByRole('form', { name: 'New storage connection' });
    await form.getByRole('radio', { name: 'SFTP server' }).check();
    await form.getByLabel('Name', { exact: true }).fill('File server');
    await form.getByLabel('Host', { exact: true }).fill('127.0.0.1');
    await form.getByLabel('Port', { exact: true }).fill(String(sshd.port));
    await form.getByLabel('Username', { exact: true }).fill(sshd.username);
    await form.getByLabel('Root folder on the server', { exact: true }).fill(root);
    const hostKey = form.getByLabel('Host key fingerprint', { exact: true });
    await hostKey.fill('SHA256:too-short');
    await form.getByLabel('Sign in with').selectOption({ label: 'A private key' });
    await form.getByLabel('Private key', { exact: true }).fill(sshd.privateKey);
    await form.getByRole('checkbox', { name: 'Allow a loopback address (127.0.0.1, ::1)' }).check();
    await form.getByRole('button', { name: 'Create connection' }).click();
    await form.getByRole('alert').getByRole('link', { name: /^Host key fingerprint: Must be the host key fingerprint as OpenSSH prints it/ }).waitFor();
    assert.equal(await hostKey.getAttribute('aria-invalid'), 'true');
    assert.match(await descriptionOf(hostKey), /Must be the host key fingerprint as OpenSSH prints it, "SHA256:" and 43 base64 characters\./);

    await hostKey.fill(sshd.hostKeySha256);
    await form.getByRole('button', { name: 'Create connection' }).click();
    await notice(page, 'The connection “File server” is created and answers.');
    const made = await byName('File server');
    assert.equal(made.kind, 'sftp');
    assert.equal(made.hasSecrets, true);
    assert.deepEqual(
      { ...made.settings, shareRoots: undefined },
      { host: '127.0.0.1', port: sshd.port, username: sshd.username, root, hostKeySha256: sshd.hostKeySha256, allowLoopback: true, shareRoots: undefined },
    );
    assert.ok(!JSON.stringify(made).includes('PRIVATE KEY'), 'the key never comes back');
    await rowOf(page, 'File server').getByRole('button', { name: 'Test' }).click();
    await notice(page, 'Test of “File server”: it works.');

    // Editing keeps the key when its field stays empty.
    await rowOf(page, 'File server').getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit “File server”' });
    assert.equal(await edit.getByLabel('Host key fingerprint', { exact: true }).inputValue(), sshd.hostKeySha256);
    assert.equal(await edit.getByLabel('New password (leave empty to keep)').inputValue(), '');
    await edit.getByRole('button', { name: 'Add a share root' }).click();
    await edit.getByRole('group', { name: 'Share root 1' }).getByLabel('Folder', { exact: true }).fill('/projects');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await notice(page, 'The changes to “File server” are saved.');
    assert.equal((await api<{ ok: boolean }>(`/connections/${made.id}/test`, { method: 'POST' })).body.ok, true, 'the kept key still signs in');
    assert.deepEqual((await byName('File server')).settings.shareRoots, [{ path: '/projects', roles: ['employee'], groups: [], write: false }]);
    assert.deepEqual(problems.filter((p) => !/status of 400/.test(p)), []);
    await context.close();
  });

  it('deleting a connection that a live share link uses is refused in words; once the link is revoked it is deleted', async () => {
    const made = await api<ConnectionJson>('/connections', { method: 'POST', body: JSON.stringify({ name: 'Old archive', kind: 'local', settings: { root: join(root, 'archive') } }) });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const link = await api<{ id: string }>('/links', { method: 'POST', body: JSON.stringify({ kind: 'share', connectionId: made.body.id, path: '/old.txt', recipients: [] }) });
    assert.equal(link.status, 201, JSON.stringify(link.body));

    const { context, page, problems } = await openPage(390);
    const row = rowOf(page, 'Old archive');
    await row.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete the connection “Old archive”?' });
    await dialog.waitFor();
    assert.equal(await page.evaluate<string | null>('document.activeElement && document.activeElement.textContent'), 'Cancel', 'the safe choice has the focus');
    await dialog.getByRole('button', { name: 'Delete connection' }).click();
    const refusal = dialog.getByRole('alert');
    await refusal.waitFor();
    assert.equal(
      await refusal.textContent(),
      'This connection is still used by 1 link(s) that have not ended; it can be deleted once nothing needs it. Revoke the links that use it (see All links), or wait until they end.',
    );
    await noSideways(page, 390);
    await page.screenshot({ path: join(tmpdir(), 'mft-adminui-connections-delete-refused-390.png'), fullPage: true });
    await expectNoSeriousViolations(page, 'the delete dialog with its refusal');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', timeout: 5000 });
    assert.equal((await api(`/connections/${made.body.id}`)).status, 200);

    assert.equal((await api(`/links/${link.body.id}`, { method: 'DELETE' })).status, 204);
    await row.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete connection' }).click();
    await notice(page, 'The connection “Old archive” is deleted.');
    await rowOf(page, 'Old archive').waitFor({ state: 'detached' });
    assert.equal((await api(`/connections/${made.body.id}`)).status, 404);
    assert.deepEqual(problems.filter((p) => !/status of 409/.test(p)), []);
    await context.close();
  });

  for (const width of [1280, 390]) {
    it(`at ${width} px the list, the SFTP form and the share roots pass axe with no sideways scrolling`, async () => {
      const { context, page, problems } = await openPage(width);
      await rowOf(page, 'Object store').waitFor();
      await noSideways(page, width);
      await page.screenshot({ path: join(tmpdir(), `mft-adminui-connections-list-${width}.png`), fullPage: true });
      await expectNoSeriousViolations(page, `the connections list at ${width} px`);
      await page.getByRole('button', { name: 'Add a connection' }).click();
      const form = page.getByRole('form', { name: 'New storage connection' });
      await form.getByRole('radio', { name: 'SFTP server' }).check();
      for (const label of ['Host', 'Port', 'Username', 'Root folder on the server', 'Host key fingerprint', 'Password']) {
        assert.ok(await form.getByLabel(label, { exact: true }).isVisible(), `an SFTP field labelled ${label}`);
      }
      assert.equal(await form.getByLabel('Port', { exact: true }).inputValue(), '22');
      await form.getByLabel('Sign in with').selectOption({ label: 'A private key' });
      assert.equal(await form.getByLabel('Password', { exact: true }).count(), 0);
      assert.ok(await form.getByLabel('Private key', { exact: true }).isVisible());
      assert.ok(await form.getByLabel('Passphrase of the key').isVisible());
      await form.getByRole('button', { name: 'Add a share root' }).click();
      await noSideways(page, width);
      await page.screenshot({ path: join(tmpdir(), `mft-adminui-connections-sftp-${width}.png`), fullPage: true });
      await expectNoSeriousViolations(page, `the SFTP form at ${width} px`);
      await form.getByRole('button', { name: 'Cancel' }).click();
      await page.getByRole('heading', { name: 'Connections', exact: true }).waitFor();
      assert.equal(await page.evaluate<string | null>('document.activeElement && document.activeElement.textContent'), 'Connections', 'the focus returns to the list');
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
});
