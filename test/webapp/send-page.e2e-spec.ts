// database-neutral: drives the staff app in a browser or serves its files; the API and SQL behind its pages are covered on both databases by the API suites
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { LinkView } from '@mft/links';
import { expectNoSeriousViolations } from './axe.js';
import { type BrowserElement, descriptionOf, erinsPage, progressFull, putPolicy, startSendWorld, type SendWorld } from './send-session.js';

/** Pastes `text` into the focused element, as a person pasting from the clipboard does. */
async function paste(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(selector).focus();
  await page.evaluate((t) => {
    const g = globalThis as unknown as { DataTransfer: new () => { setData(type: string, value: string): void }; ClipboardEvent: new (type: string, init: object) => object; document: { activeElement: { dispatchEvent(e: object): void } } };
    const data = new g.DataTransfer();
    data.setData('text/plain', t);
    g.document.activeElement.dispatchEvent(new g.ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
}

/** The Send page of the staff app, as an employee signed in through the organisation's OpenID provider uses it. */
describe('the Send page', () => {
  let world: SendWorld;

  before(async () => {
    world = await startSendWorld();
  });
  after(async () => {
    await world?.stop();
  });

  it('sends two files to two recipients under a policy that requires a password: the password shows as required, the bars reach 100 %, the links appear and the emails arrive', async () => {
    await putPolicy(world.gw, { password: { mode: 'required', minLength: 14 } });
    const { context, page, problems } = await erinsPage(world, 1280);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: world.gw.baseUrl });
    await page.goto(`${world.gw.baseUrl}/app/send`);

    const protect = page.getByRole('checkbox', { name: 'Protect with a password' });
    await protect.waitFor();
    assert.equal(await protect.isChecked(), true, 'a password is on');
    assert.equal(await protect.isDisabled(), true, 'and locked');
    assert.match(await descriptionOf(protect), /required by your organisation/i, 'with the reason as its description');
    const password = page.getByLabel('Password', { exact: true });
    assert.equal(await password.getAttribute('required'), '', 'the password must be given');
    assert.equal(await password.getAttribute('minlength'), '14');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    const generated = await password.inputValue();
    assert.match(generated, /^[A-Za-z0-9]{20}$/, 'a generated password of the policy’s length or more');

    const big = randomBytes(3 * 1024 * 1024);
    await page.getByLabel('Files').setInputFiles([
      { name: 'figures.bin', mimeType: 'application/octet-stream', buffer: big },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('the notes of the meeting') },
    ]);

    // A pasted list: split on new lines, commas and semicolons; an invalid entry is an invalid chip with a message.
    await paste(page, '#' + (await page.getByLabel('Recipients').getAttribute('id'))!.replace(/:/g, '\\:'), 'fay@example.test\ngus@example.test; not-an-address');
    const chips = page.getByRole('list', { name: 'Added addresses' }).getByRole('listitem');
    assert.equal(await chips.count(), 3);
    assert.match((await chips.nth(2).textContent()) ?? '', /not-an-address \(not an email address\)/);
    assert.match(await descriptionOf(page.getByLabel('Recipients')), /“not-an-address” is not an email address/);
    assert.equal(await page.getByLabel('Recipients').getAttribute('aria-invalid'), 'true');
    await page.screenshot({ path: join(tmpdir(), 'mft-send-chips-1280.png'), fullPage: true });
    // Removed by keyboard: its remove button, then Delete.
    await page.getByRole('button', { name: 'Remove not-an-address' }).focus();
    await page.keyboard.press('Delete');
    assert.equal(await chips.count(), 2);
    assert.equal(await page.getByLabel('Recipients').getAttribute('aria-invalid'), null);
    await page.getByLabel('Message', { exact: true }).fill('The figures for the board.');

    await progressFull(page);
    for (const name of ['Overall', 'figures.bin', 'notes.txt']) {
      const bar = page.getByRole('progressbar', { name, exact: true });
      assert.equal(await bar.evaluate((b: BrowserElement) => b.value === b.max), true, `${name} is full`);
    }
    assert.match((await page.locator('.overall').textContent()) ?? '', /100 %/);

    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const fay = page.getByRole('textbox', { name: 'Link for fay@example.test' });
    await fay.waitFor();
    assert.equal(await page.getByRole('textbox', { name: /^Link/ }).count(), 2);
    const urls = { fay: await fay.inputValue(), gus: await page.getByRole('textbox', { name: 'Link for gus@example.test' }).inputValue() };
    assert.match(urls.fay, /^http:\/\/127\.0\.0\.1:\d+\/l\/[\w-]{22,}$/);
    assert.notEqual(urls.fay, urls.gus);
    assert.ok(await page.getByRole('img', { name: 'QR code of the link for fay@example.test' }).isVisible());

    await page.getByRole('button', { name: 'Copy link for fay@example.test', exact: true }).click();
    await page.getByText('Copied to the clipboard.', { exact: true }).waitFor();
    assert.equal(await page.evaluate<string>('navigator.clipboard.readText()'), urls.fay);

    for (const [who, url] of Object.entries(urls)) {
      const mail = await world.sink.latest(`${who}@example.test`, /sent you/);
      assert.ok(mail.text.includes(url), `${who}'s email carries ${who}'s link`);
      assert.ok(mail.text.includes('The figures for the board.'), 'and the message');
    }
    await page.getByText(/^Invitation email: Accepted by the mail server/).first().waitFor({ timeout: 20_000 });
    await page.waitForFunction(() => [...(globalThis as unknown as { document: BrowserElement['ownerDocument'] }).document.querySelectorAll('.sent-link')].every((li) => /Accepted by the mail server/.test(li.textContent ?? '')), undefined, { timeout: 20_000 });

    // The recipient is asked for the password the sender generated, and gets the exact bytes with it.
    const meta = (await (await fetch(urls.gus, { headers: { accept: 'application/json' } })).json()) as { locked: string[] };
    assert.ok(meta.locked.includes('password'), JSON.stringify(meta.locked));
    const linkPage = (await page.getByRole('link', { name: "Open the link's page" }).getAttribute('href'))!;
    const link = (await (await fetch(`${world.gw.baseUrl}/api/v1/links/${linkPage.split('/').pop()!}`, { headers: { cookie: `mft_session=${world.session}` } })).json()) as LinkView;
    assert.equal(link.passwordProtected, true);
    assert.equal(link.message, 'The figures for the board.');
    assert.deepEqual(link.files.map((f) => [f.name, f.size]), [['figures.bin', big.length], ['notes.txt', 24]]);
    const file = link.files[0]!;
    assert.equal((await fetch(`${urls.gus}/files/${file.id}`)).status, 401, 'not without the password');
    const got = await fetch(`${urls.gus}/files/${file.id}`, { headers: { 'x-link-password': generated } });
    assert.equal(got.status, 200);
    assert.equal(createHash('sha256').update(Buffer.from(await got.arrayBuffer())).digest('hex'), createHash('sha256').update(big).digest('hex'));
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('a file over the policy’s maxFileBytes is refused with a sentence before any byte is sent', async () => {
    await putPolicy(world.gw, { files: { maxFileBytes: 1024 * 1024, maxTotalBytes: 4 * 1024 * 1024 } });
    const { context, page, problems } = await erinsPage(world, 390);
    const uploads: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/v1/uploads')) {
        uploads.push(`${r.method()} ${r.url()}`);
      }
    });
    await page.goto(`${world.gw.baseUrl}/app/send`);
    await page.getByLabel('Files').waitFor();
    assert.match((await descriptionOf(page.getByLabel('Files'))) ?? '', /At most 1\.0 MiB per file and 4\.0 MiB in all\./);
    await page.getByLabel('Files').setInputFiles({ name: 'too-big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(2 * 1024 * 1024, 7) });
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.equal(
      await alert.textContent(),
      '“too-big.bin” is 2.0 MiB, and your organisation allows at most 1.0 MiB per file. Nothing of it was uploaded: send a smaller file, or split it.',
    );
    assert.equal(await page.getByRole('progressbar').count(), 0, 'no upload started');
    await page.waitForTimeout(300);
    assert.deepEqual(uploads, [], 'no request to /api/v1/uploads at all');

    // A file within the limit dropped on the Files area uploads; its Remove button takes it away again.
    const dropped = await page.evaluateHandle(() => {
      const g = globalThis as unknown as { DataTransfer: new () => { items: { add(f: object): void } }; File: new (parts: string[], name: string, o: object) => object };
      const data = new g.DataTransfer();
      data.items.add(new g.File(['dropped bytes'], 'dropped.txt', { type: 'text/plain' }));
      return data;
    });
    await page.getByLabel('Files').locator('..').dispatchEvent('drop', { dataTransfer: dropped });
    await progressFull(page);
    assert.equal(await page.getByRole('progressbar', { name: 'dropped.txt', exact: true }).count(), 1);
    assert.equal(await page.getByRole('alert').count(), 0, 'the refusal is gone');
    await page.getByRole('button', { name: 'Remove dropped.txt' }).click();
    assert.equal(await page.getByRole('progressbar').count(), 0);
    assert.deepEqual(problems, []);
    await context.close();
  });

  for (const width of [1280, 390]) {
    it(`passes axe before and after sending at ${width} px, without sideways scrolling`, async () => {
      await putPolicy(world.gw, {});
      const { context, page, problems } = await erinsPage(world, width);
      await page.goto(`${world.gw.baseUrl}/app/send`);
      await page.getByRole('checkbox', { name: 'Protect with a password' }).waitFor();
      await expectNoSeriousViolations(page, `/app/send at ${width} px`);
      await page.screenshot({ path: join(tmpdir(), `mft-send-form-${width}.png`), fullPage: true });

      await page.getByLabel('Files').setInputFiles({ name: 'agenda.txt', mimeType: 'text/plain', buffer: Buffer.from('the agenda') });
      await page.getByLabel('Recipients').fill('hal@example.test');
      await progressFull(page);
      await expectNoSeriousViolations(page, `/app/send at ${width} px while uploading`);
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await page.getByRole('textbox', { name: 'Link for hal@example.test' }).waitFor();
      await page.getByText(/^Invitation email: /).waitFor();
      await expectNoSeriousViolations(page, `/app/send at ${width} px after sending`);
      assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), width, 'no sideways scrolling');
      await page.screenshot({ path: join(tmpdir(), `mft-send-sent-${width}.png`), fullPage: true });
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
});
