// database-neutral: drives the policy page in a browser; the policy API and SQL behind it are covered on both databases by test/policy
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, type TestGateway, type TestIdp } from '@mft/testing';
import { expectNoSeriousViolations } from './axe.js';
import { sessionPage, signInWithChromium, startWithIdp } from './staff-session.js';

const DAY_MS = 86_400_000;
const shot = (name: string): string => join(tmpdir(), `mft-policyui-${name}.png`);

async function api<T>(gw: TestGateway, token: string, path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: T }> {
  const res = await fetch(`${gw.baseUrl}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as T };
}

/** The accessible description of a control (aria-describedby), as a screen reader reads it after the name. */
function descriptionOf(page: Page, label: string): Promise<string> {
  return page.getByLabel(label, { exact: true }).evaluate((el: { getAttribute(n: string): string | null; ownerDocument: { getElementById(id: string): { textContent: string | null } | null } }) =>
    (el.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => el.ownerDocument.getElementById(id)?.textContent ?? '')
      .join(' '),
  );
}

/** Console errors other than the refusals the test provokes (the browser logs each 4xx answer). */
const unexpected = (problems: readonly string[]): string[] => problems.filter((p) => !/^Failed to load resource: the server responded with a status of (400|412|422)/.test(p));

const noSidewaysScroll = async (page: Page, width: number): Promise<void> => {
  assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), width, 'no sideways scrolling');
};

describe('the policy page (admins signed in through the identity provider)', () => {
  let gw: TestGateway;
  let idp: TestIdp;
  let browser: Browser;
  let session: string;
  let token: string;
  let link: { id: string; expiresAt: string };

  before(async () => {
    ({ gw, idp } = await startWithIdp('alice'));
    browser = await launchChromium();
    session = await signInWithChromium(browser, gw, 'alice', '/app/admin/policy');
    token = await gw.token();
    const form = new FormData();
    form.append('recipients', 'ann@example.test');
    form.append('expiresAt', new Date(Date.now() + 20 * DAY_MS).toISOString());
    form.append('file', new Blob(['the contract']), 'contract.pdf');
    const res = await fetch(`${gw.baseUrl}/api/v1/links`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    const created = await res.text();
    assert.equal(res.status, 201, created);
    link = JSON.parse(created) as { id: string; expiresAt: string };
    assert.ok(new Date(link.expiresAt).getTime() > Date.now() + 19 * DAY_MS, 'the link lasts 20 days');
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
    await idp?.close();
  });

  const open = async (width: number): Promise<{ context: BrowserContext; page: Page; problems: string[] }> => {
    const opened = await sessionPage(browser, gw.baseUrl, session, width, 900);
    await opened.page.goto(`${gw.baseUrl}/app/links`);
    await opened.page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Policy', exact: true }).click();
    assert.equal(new URL(opened.page.url()).pathname, '/app/admin/policy');
    await opened.page.getByRole('combobox', { name: 'Password', exact: true }).waitFor();
    return opened;
  };

  it('at 1280 px: lowering the maximum expiry to 5 days, the dry run lists the 20-day link; saved and applied after a confirmation, the link now ends within 5 days', async () => {
    const { context, page, problems } = await open(1280);
    assert.equal(await page.title(), 'Policy · Secure file transfer');
    for (const name of ['Password', 'Email verification', 'One-time']) {
      assert.ok(await page.getByRole('combobox', { name, exact: true }).isEnabled(), `a control labelled ${name}`);
    }
    assert.equal(await page.getByRole('group', { name: 'Expiry', exact: true }).getByLabel('Expiry (maximum days)', { exact: true }).inputValue(), '30');
    assert.equal(await page.getByLabel('Maximum file size', { exact: true }).inputValue(), '10');
    assert.match(await descriptionOf(page, 'Maximum file size'), /10,737,418,240 bytes/);
    await expectNoSeriousViolations(page, 'the policy page as loaded');
    await page.screenshot({ path: shot('form-1280'), fullPage: true });

    // The maximum alone is below the default: the gateway says so, next to the default, and in the summary at the top (which takes the focus).
    await page.getByLabel('Expiry (maximum days)', { exact: true }).fill('5');
    await page.getByRole('button', { name: 'Dry run' }).click();
    const summary = page.getByRole('alert').filter({ hasText: 'The policy was not accepted' });
    await summary.waitFor();
    assert.match(await summary.innerText(), /Default expiry \(days\): must not be more than expiry\.maxDays \(5\)/);
    assert.equal(await page.evaluate<string | undefined>('document.activeElement?.className'), 'error-summary', 'the summary has the focus');
    assert.match(await descriptionOf(page, 'Default expiry (days)'), /must not be more than expiry\.maxDays \(5\)/);
    assert.equal(await page.getByLabel('Default expiry (days)', { exact: true }).getAttribute('aria-invalid'), 'true');
    await expectNoSeriousViolations(page, 'the policy page with a refusal on a field');
    await summary.getByRole('link', { name: /^Default expiry/ }).click();
    await page.waitForFunction((id) => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id === id, await page.getByLabel('Default expiry (days)', { exact: true }).getAttribute('id'), { timeout: 5000 });

    await page.getByLabel('Default expiry (days)', { exact: true }).fill('3');
    await page.getByRole('button', { name: 'Dry run' }).click();
    const violations = page.getByRole('table', { name: 'Violations', exact: true });
    await violations.waitFor();
    assert.equal(await page.getByRole('alert').filter({ hasText: 'The policy was not accepted' }).count(), 0, 'the refusal is gone');
    assert.match(await page.getByRole('region', { name: 'Dry run' }).innerText(), /Checked 1 live link: 1 link breaks the edited policy/);
    const row = violations.getByRole('row').filter({ hasText: link.id });
    assert.equal(await row.count(), 1, "the dry run lists the link's id");
    assert.equal(await row.getByRole('link', { name: link.id }).getAttribute('href'), `/app/links/${link.id}`);
    assert.match(await row.innerText(), /Expiry shortened to/);
    assert.match(await row.innerText(), /admin/);
    await expectNoSeriousViolations(page, 'the policy page with a dry run');
    await page.screenshot({ path: shot('dry-run-1280'), fullPage: true });

    await page.getByRole('checkbox', { name: 'Apply to existing links' }).check();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Save and apply to existing links?' });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /Of the 1 live link, 1 link gets a shorter expiry .* and 0 links are revoked/);
    await dialog.getByRole('button', { name: 'Save and apply' }).click();
    const status = page.getByRole('status').filter({ hasText: 'Saved: version 1 is in force.' });
    await status.waitFor();
    assert.match(await status.innerText(), /1 link got a shorter expiry and 0 links were revoked/);

    const after = await api<{ expiresAt: string; createdAt?: string }>(gw, token, `/links/${link.id}`);
    assert.equal(after.status, 200);
    assert.ok(new Date(after.body.expiresAt).getTime() <= Date.now() + 5 * DAY_MS, `the link now expires within 5 days (${after.body.expiresAt})`);

    // The versions table shows the change with who made it.
    const versions = page.getByRole('table', { name: 'Policy versions', exact: true });
    const v1 = versions.getByRole('row').filter({ has: page.getByRole('cell', { name: '1', exact: true }) });
    await v1.waitFor();
    const v1Text = await v1.innerText();
    assert.match(v1Text, /alice/);
    assert.match(v1Text, /Yes/);
    assert.match(v1Text, /expiry\.maxDays: 30\s*→\s*to\s*5|expiry\.maxDays: 30 → 5/);
    assert.match(v1Text, /expiry\.defaultDays: 7/);
    const listed = await api<Array<{ version: number; createdBy: string; retroactive: boolean }>>(gw, token, '/policy/versions');
    assert.deepEqual(listed.body.map((v) => [v.version, v.createdBy, v.retroactive]), [[1, 'user:alice', true]]);
    await v1.getByRole('button', { name: /^View/ }).click();
    const viewed = page.getByLabel('Version 1 as YAML', { exact: true });
    await viewed.waitFor();
    assert.match(await viewed.innerText(), /maxDays: 5/);

    // The link's own page shows the shortened expiry.
    await page.goto(`${gw.baseUrl}/app/links/${link.id}`);
    const expires = page.locator('dt:text-is("Expires") + dd time');
    await expires.waitFor();
    assert.equal(new Date((await expires.getAttribute('datetime'))!).getTime(), new Date(after.body.expiresAt).getTime());
    assert.deepEqual(unexpected(problems), []);
    await context.close();
  });

  it('a save after someone else changed the policy is refused with their version named; reloaded, the edits are kept on top of theirs and save', async () => {
    const { context, page, problems } = await open(1280);
    await page.getByLabel('Minimum length', { exact: true }).fill('16');

    const current = await api<Record<string, unknown>>(gw, token, '/policy');
    assert.equal(current.headers.get('x-policy-source'), 'api');
    assert.equal(current.headers.get('x-policy-file'), null, 'no policy file is named while the API manages the policy');
    const put = await api(gw, token, '/policy', { method: 'PUT', body: JSON.stringify({ ...current.body, oneTime: { mode: 'forced' } }) });
    assert.equal(put.status, 200);
    assert.equal(put.headers.get('x-policy-version'), '2');

    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const conflict = page.getByRole('alert').filter({ hasText: 'Someone else changed the policy (version 2) since you opened it' });
    await conflict.waitFor();
    assert.equal(await page.getByLabel('Minimum length', { exact: true }).inputValue(), '16', 'the edits are still in the form');
    await expectNoSeriousViolations(page, 'the policy page after a conflict');
    await page.screenshot({ path: shot('conflict-1280'), fullPage: true });

    await conflict.getByRole('button', { name: 'Load their version and keep my edits' }).click();
    const merged = page.getByRole('region', { name: 'Version 2 is loaded, with your edits on top' });
    await merged.waitFor();
    assert.match(await merged.getByRole('list', { name: 'Changed in the other version' }).innerText(), /oneTime\.mode: optional\s*→\s*(to\s*)?forced/);
    assert.match(await merged.getByRole('list', { name: 'Your edits' }).innerText(), /password\.minLength: 12\s*→\s*(to\s*)?16/);
    assert.equal(await page.getByRole('combobox', { name: 'One-time', exact: true }).inputValue(), 'forced');
    assert.equal(await page.getByLabel('Minimum length', { exact: true }).inputValue(), '16');

    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Saved: version 3 is in force. Existing links are left as they were.' }).waitFor();
    const saved = await api<{ oneTime: { mode: string }; password: { minLength: number } }>(gw, token, '/policy');
    assert.equal(saved.body.oneTime.mode, 'forced');
    assert.equal(saved.body.password.minLength, 16);
    assert.deepEqual(unexpected(problems), []);
    await context.close();
  });

  it('at 390 px: a looser group override is refused naming the group and the option next to its field; a bad domain is named on its line', async () => {
    const { context, page, problems } = await open(390);
    // A group name that means something to JavaScript reaches the gateway as typed, and is refused by name.
    await page.getByLabel('Group name', { exact: true }).fill('__proto__');
    await page.getByRole('button', { name: 'Add group' }).click();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'The policy was not accepted' });
    await refused.waitFor();
    assert.match(await refused.innerText(), /Group overrides: the group name "__proto__" is not allowed/);
    await page.getByRole('button', { name: 'Remove group __proto__' }).click();

    await page.getByLabel('Group name', { exact: true }).fill('finance');
    await page.getByRole('button', { name: 'Add group' }).click();
    const group = page.getByRole('group', { name: 'Group “finance”' });
    await group.waitFor();
    await group.getByLabel('finance: Expiry (maximum days)', { exact: true }).fill('40');
    await group.getByRole('combobox', { name: 'finance: Password' }).selectOption('required');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const summary = page.getByRole('alert').filter({ hasText: 'The policy was not accepted' });
    await summary.waitFor();
    assert.match(await summary.innerText(), /Group “finance”: Expiry \(maximum days\): 40 is looser than the organisation's 5; a group may only be stricter/);
    assert.match(await descriptionOf(page, 'finance: Expiry (maximum days)'), /40 is looser than the organisation's 5/);
    await noSidewaysScroll(page, 390);
    await expectNoSeriousViolations(page, 'the policy page with a looser override, on a phone');
    await page.screenshot({ path: shot('override-390'), fullPage: true });

    await group.getByLabel('finance: Expiry (maximum days)', { exact: true }).fill('2');
    await page.getByLabel('Allowed domains', { exact: true }).fill('example.com\nnot a domain');
    await page.getByRole('button', { name: 'Dry run' }).click();
    await summary.filter({ hasText: 'Allowed domains, entry 2' }).waitFor();
    assert.match(await descriptionOf(page, 'Allowed domains'), /“not a domain” must be a domain name such as example\.com/);
    await page.getByLabel('Allowed domains', { exact: true }).fill('example.com\n');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Saved: version 4 is in force.' }).waitFor();
    const saved = await api<{ groups: Record<string, unknown>; recipients: { allowedDomains: string[] } }>(gw, token, '/policy');
    assert.deepEqual(saved.body.groups, { finance: { password: { mode: 'required' }, expiry: { maxDays: 2 } } });
    assert.deepEqual(saved.body.recipients.allowedDomains, ['example.com']);
    await noSidewaysScroll(page, 390);
    await page.screenshot({ path: shot('saved-390'), fullPage: true });
    assert.deepEqual(unexpected(problems), []);
    await context.close();
  });

  it('the YAML view shows the same document, edits in it come back to the form, and a syntax error names its line (keyboard only)', async () => {
    const { context, page, problems } = await open(1280);
    const formTab = page.getByRole('tab', { name: 'Form' });
    await formTab.focus();
    await page.keyboard.press('ArrowRight');
    const yamlTab = page.getByRole('tab', { name: 'YAML' });
    assert.equal(await yamlTab.getAttribute('aria-selected'), 'true');
    const yaml = page.getByLabel('Policy as YAML', { exact: true });
    const text = await yaml.inputValue();
    assert.match(text, /maxDays: 5/);
    assert.match(text, /finance:/);
    await expectNoSeriousViolations(page, 'the YAML view');
    await page.screenshot({ path: shot('yaml-1280'), fullPage: true });

    await yaml.fill(text.replace('minLength: 16', 'minLength: 20').replace('maxDays: 5', 'maxDays: 4'));
    await yamlTab.focus();
    await page.keyboard.press('ArrowLeft');
    assert.equal(await formTab.getAttribute('aria-selected'), 'true');
    assert.equal(await page.getByLabel('Minimum length', { exact: true }).inputValue(), '20');
    assert.equal(await page.getByLabel('Expiry (maximum days)', { exact: true }).inputValue(), '4');
    assert.match(await page.getByText(/settings? edited, not saved yet/).innerText(), /^2 settings edited/);

    await page.keyboard.press('ArrowRight');
    await yaml.fill('password:\n  mode: required\nexpiry: [1,\n');
    await yamlTab.focus();
    await page.keyboard.press('ArrowLeft');
    const error = page.getByRole('alert').filter({ hasText: 'The YAML is not valid on line' });
    await error.waitFor();
    assert.match(await error.innerText(), /on line \d+ \(column \d+\)/);
    assert.equal(await yamlTab.getAttribute('aria-selected'), 'true', 'the view stays on the YAML until it can be read');
    await expectNoSeriousViolations(page, 'the YAML view with a syntax error');
    assert.deepEqual(unexpected(problems), []);
    await context.close();
  });

  it('the version history pages ten versions at a time, newest first', async () => {
    for (let i = 0; i < 8; i++) {
      const current = await api<{ notifications: { emailRecipients: boolean } }>(gw, token, '/policy');
      const put = await api(gw, token, '/policy', { method: 'PUT', body: JSON.stringify({ ...current.body, notifications: { ...current.body.notifications, emailRecipients: !current.body.notifications.emailRecipients } }) });
      assert.equal(put.status, 200);
    }
    const { context, page, problems } = await open(1280);
    const versions = page.getByRole('table', { name: 'Policy versions', exact: true });
    const firstCells = async (): Promise<string[]> => (await versions.locator('tbody tr td:first-child').allInnerTexts()).map((t) => t.trim());
    await versions.getByRole('cell', { name: '12', exact: true }).waitFor();
    assert.deepEqual(await firstCells(), ['12', '11', '10', '9', '8', '7', '6', '5', '4', '3']);
    assert.equal(await page.getByRole('button', { name: 'Newer versions' }).count(), 0);
    await page.getByRole('button', { name: 'Older versions' }).click();
    await versions.getByRole('cell', { name: '1', exact: true }).waitFor();
    assert.deepEqual(await firstCells(), ['2', '1']);
    assert.equal(await page.getByRole('button', { name: 'Older versions' }).count(), 0);
    await page.getByRole('button', { name: 'Newer versions' }).click();
    await versions.getByRole('cell', { name: '12', exact: true }).waitFor();
    assert.deepEqual(unexpected(problems), []);
    await context.close();
  });
});

describe('the policy page while a policy file manages the policy', () => {
  let dir: string;
  let file: string;
  let gw: TestGateway;
  let idp: TestIdp;
  let browser: Browser;
  let session: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mft-policyui-file-'));
    file = join(dir, 'policy.yaml');
    writeFileSync(file, ['oneTime: { mode: forced }', 'expiry: { defaultDays: 2, maxDays: 5 }', ''].join('\n'));
    ({ gw, idp } = await startWithIdp('bob', { POLICY_FILE: file }));
    browser = await launchChromium();
    session = await signInWithChromium(browser, gw, 'bob', '/app/admin/policy');
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
    await idp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GET /api/v1/policy names the file in X-Policy-File; the page is read-only and says which file to edit', async () => {
    const res = await api<{ oneTime: { mode: string } }>(gw, await gw.token(), '/policy');
    assert.equal(res.headers.get('x-policy-source'), 'file');
    assert.equal(res.headers.get('x-policy-file'), file);

    for (const width of [390, 1280]) {
      const { context, page, problems } = await sessionPage(browser, gw.baseUrl, session, width, 900);
      await page.goto(`${gw.baseUrl}/app/admin/policy`);
      const notice = page.getByRole('region', { name: 'Managed as code' });
      await notice.waitFor();
      assert.match(await notice.innerText(), new RegExp(`policy file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(await notice.innerText(), /edit that file and restart the gateway/);
      assert.equal(await page.getByRole('combobox', { name: 'One-time', exact: true }).inputValue(), 'forced');
      assert.equal(await page.getByRole('combobox', { name: 'Password', exact: true }).isDisabled(), true);
      assert.equal(await page.getByLabel('Expiry (maximum days)', { exact: true }).isDisabled(), true);
      assert.equal(await page.getByRole('button', { name: 'Save', exact: true }).count(), 0, 'nothing to save');
      await page.getByRole('tab', { name: 'YAML' }).click();
      assert.equal(await page.getByLabel('Policy as YAML', { exact: true }).getAttribute('readonly'), '');
      await page.getByRole('tab', { name: 'Form' }).click();
      const versions = page.getByRole('table', { name: 'Policy versions', exact: true });
      await versions.getByRole('cell', { name: `the policy file ${file}` }).waitFor();
      await noSidewaysScroll(page, width);
      await expectNoSeriousViolations(page, `the read-only policy page at ${String(width)} px`);
      await page.screenshot({ path: shot(`file-${String(width)}`), fullPage: true });
      assert.deepEqual(unexpected(problems), []);
      await context.close();
    }
  });
});
