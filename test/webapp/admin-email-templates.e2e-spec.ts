// database-neutral: drives the email templates page in a browser; the API and SQL behind it are covered on both databases by test/mail/mail-templates.e2e-spec.ts
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium, styleOf, TestGateway } from '@mft/testing';
import { expectNoSeriousViolations } from './axe.js';
import { sessionPage, signInLocalAdmin } from './staff-session.js';

/**
 * What the sandboxed preview itself logs: the email's inline styles, which the staff app's CSP
 * (inherited by a srcdoc frame) blocks, and axe, which cannot run scripts in a frame without
 * allow-scripts. Everything else the page logs is a problem.
 */
const fromThePreview = (p: string): boolean => /about:srcdoc/.test(p) || /^Applying inline style violates .*'style-src 'self''/.test(p);

/** Administration → Email templates in a real browser: edit, preview, a refusal naming the line, save, history, reset. */
describe('the Email templates page', () => {
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

  it('at 1280 px: edits the invitation, previews it, shows a syntax error next to its field naming the line, saves, and resets after a confirmation', async () => {
    const { context, page, problems } = await sessionPage(browser, gw.baseUrl, session, 1280, 900);
    try {
      await page.goto(`${gw.baseUrl}/app/links`);
      await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Email templates' }).click();
      assert.equal(new URL(page.url()).pathname, '/app/admin/email-templates');
      assert.equal(await page.title(), 'Email templates · Secure file transfer');
      const picker = page.getByLabel('Template', { exact: true });
      await picker.waitFor();
      assert.equal(await picker.inputValue(), 'recipient-invitation');

      const subject = page.getByRole('textbox', { name: 'Subject' });
      const html = page.getByRole('textbox', { name: 'HTML body' });
      await subject.waitFor();
      assert.match(await subject.inputValue(), /\{\{senderName\}\} sent you/);
      await page.getByRole('table', { name: 'Versions' }).getByText('Never changed').waitFor();

      await subject.fill('Files from {{senderName}} are waiting');
      await html.fill('<p>{{senderName}} wrote:</p>\n<blockquote>{{message}}</blockquote>\n{{#each files}}<p>{{name}}</p>{{/each}}\n<p><a href="{{url}}">Open the files</a></p>');
      await page.getByRole('button', { name: 'Preview' }).click();
      const preview = page.getByRole('region', { name: 'Preview' });
      await preview.waitFor();
      await preview.getByText('Subject: Files from Alice Martin are waiting').waitFor();
      const frame = page.frameLocator('iframe[title="HTML preview of the email"]');
      await frame.getByText('Alice Martin wrote:').waitFor();
      assert.equal(await frame.locator('blockquote').textContent(), 'Here are the figures we discussed.\nThe second file is still a <draft>.', 'sample data is escaped text, not markup');
      assert.equal(await page.locator('iframe[title="HTML preview of the email"]').getAttribute('sandbox'), 'allow-same-origin', 'the preview runs no script');
      // The email's inline styles apply in the preview (through the CSSOM: the app's CSP refuses style attributes).
      assert.equal(await styleOf(frame.locator('body'), 'backgroundColor'), 'rgb(244, 245, 247)');
      assert.equal(await styleOf(frame.locator('body > div > div').first(), 'backgroundColor'), 'rgb(31, 95, 191)', 'the header has the brand colour');
      assert.match((await preview.getByLabel('Text preview of the email').textContent()) ?? '', /Alice Martin <alice@corp\.example> sent you 2 files/);
      await expectNoSeriousViolations(page, 'the email templates page with a preview at 1280 px');
      await page.screenshot({ path: '/tmp/mft-mailtpl-preview-1280.png', fullPage: true });
      await page.locator('iframe[title="HTML preview of the email"]').screenshot({ path: '/tmp/mft-mailtpl-preview-frame.png' });

      // A block left open on line 2: the message names the line, sits by the field, and the field has the focus.
      await html.fill('<p>{{senderName}}</p>\n{{#if message}}<p>{{message}}</p>\n<p>end</p>');
      await page.getByRole('button', { name: 'Save' }).click();
      const alert = page.getByRole('alert').filter({ hasText: 'HTML body' });
      await alert.waitFor();
      assert.match((await alert.textContent()) ?? '', /^Line 3 of the HTML body: syntax error: the template ends before/);
      assert.equal(await html.getAttribute('aria-invalid'), 'true');
      assert.equal(await page.evaluate<string | null>('document.activeElement && document.activeElement.getAttribute("aria-invalid")'), 'true', 'the focus moved to the field at fault');
      assert.match((await html.getAttribute('aria-describedby')) ?? '', new RegExp((await alert.getAttribute('id'))!));
      await expectNoSeriousViolations(page, 'the email templates page with a refusal');
      await page.screenshot({ path: '/tmp/mft-mailtpl-error-1280.png', fullPage: true });

      // An unknown variable is named too.
      await html.fill('<p>{{senderName}}</p>\n{{#if message}}<p>{{mesage}}</p>{{/if}}');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('alert').filter({ hasText: '“mesage” is not a variable' }).waitFor();

      await html.fill('<p>{{senderName}}</p>\n{{#if message}}<p>{{message}}</p>{{/if}}\n<p><a href="{{url}}">Open</a></p>');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('status').getByText('Saved as version 1. New messages use it.').waitFor();
      const versions = page.getByRole('table', { name: 'Versions' });
      await versions.getByRole('cell', { name: '1 (in use)' }).waitFor();
      // The list of templates is loaded again after the save: wait for it rather than read it at once.
      await picker.locator('option:checked', { hasText: '(customised)' }).waitFor({ state: 'attached' });

      const saved = (await (await fetch(`${gw.baseUrl}/api/v1/mail/templates/recipient-invitation`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { subject: string; html: string; version: number };
      assert.equal(saved.version, 1);
      assert.equal(saved.subject, 'Files from {{senderName}} are waiting');
      assert.equal(saved.html, '<p>{{senderName}}</p>\n{{#if message}}<p>{{message}}</p>{{/if}}\n<p><a href="{{url}}">Open</a></p>');

      await page.getByRole('button', { name: 'Reset to default' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Reset to default' }).click();
      await page.getByRole('status').getByText(/Reset to the built-in template \(version 2\)/).waitFor();
      assert.match(await subject.inputValue(), /\{\{senderName\}\} sent you/);
      await versions.getByRole('cell', { name: 'Reset to default' }).waitFor();
      await versions.getByRole('row').filter({ hasText: 'Saved' }).getByRole('button', { name: 'Restore' }).click();
      await page.getByRole('status').getByText('Version 1 restored as version 3.').waitFor();
      assert.equal(await subject.inputValue(), 'Files from {{senderName}} are waiting');
      await page.screenshot({ path: '/tmp/mft-mailtpl-history-1280.png', fullPage: true });
      assert.deepEqual(problems.filter((p) => !/status of 422/.test(p) && !fromThePreview(p)), []);
    } finally {
      await context.close();
    }
  });

  it('at 390 px: another template can be picked, edited and previewed, and passes axe', async () => {
    const { context, page, problems } = await sessionPage(browser, gw.baseUrl, session, 390, 800);
    try {
      await page.goto(`${gw.baseUrl}/app/admin/email-templates`);
      await page.getByLabel('Template', { exact: true }).selectOption('verification-code');
      const text = page.getByRole('textbox', { name: 'Text body' });
      await page.getByText('Sent to a recipient who asked for a one-time code').waitFor();
      assert.match(await text.inputValue(), /\{\{code\}\}/);
      await text.fill('Your code: {{code}} ({{minutes}} minutes), from {{brand.name}}.');
      await page.getByRole('button', { name: 'Preview' }).click();
      const preview = page.getByRole('region', { name: 'Preview' });
      await preview.getByLabel('Text preview of the email').getByText('Your code: 482913 (10 minutes), from Secure file transfer.').waitFor();
      const width = await page.evaluate<number>('document.documentElement.scrollWidth');
      assert.ok(width <= 390, `no sideways scrolling at 390 px (${width})`);
      await expectNoSeriousViolations(page, 'the email templates page at 390 px');
      await page.screenshot({ path: '/tmp/mft-mailtpl-390.png', fullPage: true });
      assert.deepEqual(problems.filter((p) => !fromThePreview(p)), []);
    } finally {
      await context.close();
    }
  });
});
