// database-neutral: drives the staff app in a browser or serves its files; the API and SQL behind its pages are covered on both databases by the API suites
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium, TestGateway } from '@mft/testing';
import { expectNoSeriousViolations } from './axe.js';
import { sendThroughApi, signInLocalAdmin } from './staff-session.js';

/** The staff app's pages under axe (WCAG 2.0 A and AA, 2.1 AA): no serious or critical violation, on a phone and a desktop. */
describe('the staff web app passes axe', () => {
  let gw: TestGateway;
  let browser: Browser;
  let session: string;
  let linkId: string;

  before(async () => {
    gw = await TestGateway.start();
    session = (await signInLocalAdmin(gw)).get('mft_session')!;
    linkId = (await sendThroughApi(gw, await gw.token(), 'minutes.txt', ['ann@example.test'])).id;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
  });

  for (const width of [390, 1280]) {
    it(`the links, link, send and settings pages at ${width} px`, async () => {
      const context = await browser.newContext({ viewport: { width, height: 800 } });
      await context.addCookies([{ name: 'mft_session', value: session, url: gw.baseUrl, httpOnly: true, sameSite: 'Lax' }]);
      const page = await context.newPage();
      try {
        for (const [path, ready] of [
          ['/app/links', 'Links'],
          [`/app/links/${linkId}`, 'Recipients'],
        ] as const) {
          await page.goto(`${gw.baseUrl}${path}`);
          await page.getByRole('table', { name: ready, exact: true }).waitFor();
          await expectNoSeriousViolations(page, path);
        }
        for (const path of ['/app/send', '/app/settings']) {
          await page.goto(`${gw.baseUrl}${path}`);
          await page.getByRole('button', { name: 'Sign out' }).waitFor();
          await expectNoSeriousViolations(page, path);
        }
      } finally {
        await context.close();
      }
    });
  }
});
