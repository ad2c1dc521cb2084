// database-neutral: drives a folder share's page in a browser; the shares behind it are covered on both databases by the other test/shares/* suites
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium, TestGateway } from '@mft/testing';
import { share, writeTree } from './share-fixtures.js';

/** A folder share's page in a real browser (headless Chromium), JavaScript off: browse, page, download. */
describe('the page of a folder share in a real browser', () => {
  let gw: TestGateway;
  let token: string;
  let browser: Browser;
  const report = randomBytes(10_000);

  before(async () => {
    gw = await TestGateway.start();
    token = await gw.token();
    writeTree(gw, 'team-handbook', {
      'a-very-long-file-name-for-the-quarterly-review-of-the-whole-team.pdf': 'pdf',
      'b.txt': 'b',
      'c.txt': 'c',
      'chapters/one/report.bin': report,
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it('without JavaScript, at 390 px: browse into a subfolder, back by the breadcrumbs, page through, download a file', async () => {
    const { url } = await share(gw, token, { path: '/team-handbook' });
    const context = await browser.newContext({ viewport: { width: 390, height: 800 }, javaScriptEnabled: false, acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(`${url}?limit=2`);
    assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), 390, 'no sideways scrolling');
    assert.equal(await page.getByRole('table').getByRole('row').count(), 3, 'a header and two entries');
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.getByRole('link', { name: 'chapters/' }).click();
    await page.getByRole('link', { name: 'one/' }).click();
    assert.ok(await page.getByRole('navigation', { name: 'Folders' }).getByText('one').isVisible());
    await page.screenshot({ path: join(tmpdir(), 'mft-folder-share-390.png'), fullPage: true });
    const button = page.getByRole('link', { name: 'Download report.bin' });
    const box = (await button.boundingBox())!;
    assert.ok(box.x >= 0 && box.x + box.width <= 390, `the button lies at ${box.x}..${box.x + box.width}`);
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    assert.equal(download.suggestedFilename(), 'report.bin');
    assert.ok(readFileSync((await download.path())!).equals(report));
    await page.getByRole('navigation', { name: 'Folders' }).getByRole('link', { name: 'Shared folder' }).click();
    assert.ok(await page.getByRole('cell', { name: 'b.txt', exact: true }).isVisible());
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: join(tmpdir(), 'mft-folder-share-desktop.png'), fullPage: true });
    await context.close();
  });
});
