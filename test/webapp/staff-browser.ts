import assert from 'node:assert/strict';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/**
 * A new browser context at `width` px holding the staff session cookie, and the console errors and
 * page errors it reports (a CSP refusal shows there).
 */
export async function staffPage(browser: Browser, baseUrl: string, session: string, width: number, height = 800): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width, height } });
  await context.addCookies([{ name: 'mft_session', value: session, url: baseUrl, httpOnly: true, sameSite: 'Lax' }]);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') {
      problems.push(m.text());
    }
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return { context, page, problems };
}

/** An axe scan of what the page shows now (WCAG 2.0 A and AA, 2.1 AA): no serious or critical violation. */
export async function expectNoSeriousViolations(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
  assert.ok(results.passes.length > 10, `axe checked ${what} (${results.passes.length} rules passed)`);
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    [],
    `axe on ${what}`,
  );
}
