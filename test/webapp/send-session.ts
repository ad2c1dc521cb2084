import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { addIdpPerson, CookieJar, launchChromium, oidcGatewayEnv, serveGateway, signInThroughIdp, SmtpSink, TestGateway, TestIdp } from '@mft/testing';
import { sessionPage } from './staff-session.js';

const FAST_MAIL = { MAIL_POLL_SECONDS: '0.3', MAIL_RETRY_BASE_SECONDS: '0.3', MAIL_RETRY_MAX_SECONDS: '1', JOBS_INTERVAL_SECONDS: '0.5' };

/** A gateway that mails through an SMTP sink, an employee (erin) signed in through a real OpenID provider, and a browser. */
export interface SendWorld {
  readonly gw: TestGateway;
  readonly idp: TestIdp;
  readonly sink: SmtpSink;
  readonly browser: Browser;
  /** Erin's session cookie. */
  readonly session: string;
  stop(): Promise<void>;
}

export async function startSendWorld(): Promise<SendWorld> {
  const sink = await SmtpSink.start();
  const idp = await TestIdp.listen();
  const secret = randomBytes(16).toString('hex');
  const gw = await TestGateway.start({ env: { ...oidcGatewayEnv(idp, secret), SMTP_URL: sink.url, ...FAST_MAIL } });
  serveGateway(idp, gw.baseUrl, secret);
  addIdpPerson(idp, 'erin');
  const session = (await signInThroughIdp(new CookieJar(), gw.baseUrl, 'erin')).get('mft_session')!;
  const browser = await launchChromium();
  return {
    gw,
    idp,
    sink,
    browser,
    session,
    async stop() {
      await browser.close();
      await gw.stop();
      await idp.close();
      await sink.stop();
    },
  };
}

/** Replaces the organisation's policy (fields left out return to their defaults), as an administrator. */
export async function putPolicy(gw: TestGateway, policy: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${gw.baseUrl}/api/v1/policy`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${await gw.token()}`, 'content-type': 'application/json' },
    body: JSON.stringify(policy),
  });
  assert.equal(res.status, 200, await res.text());
}

/** A page of erin's, `width` px wide, collecting console errors and failed page scripts in `problems`. */
export function erinsPage(world: SendWorld, width: number): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  return sessionPage(world.browser, world.gw.baseUrl, world.session, width, 900);
}

/** The text of the elements that describe `locator`'s element (aria-describedby), as a screen reader reads it after the name. */
export function descriptionOf(locator: Locator): Promise<string> {
  return locator.evaluate((el: BrowserElement) =>
    (el.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => el.ownerDocument.getElementById(id)?.textContent ?? '')
      .join(' '),
  );
}

/** The little of the DOM these tests read in the page (the test build has no DOM types). */
export interface BrowserElement {
  getAttribute(name: string): string | null;
  readonly textContent: string | null;
  readonly value?: number | string;
  readonly max?: number;
  readonly ownerDocument: { getElementById(id: string): BrowserElement | null; querySelectorAll(selector: string): Iterable<BrowserElement> };
}

/** Waits until every progress bar on the page is full. */
export async function progressFull(page: Page, timeout = 120_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const bars = [...(globalThis as unknown as { document: BrowserElement['ownerDocument'] }).document.querySelectorAll('progress')];
      return bars.length > 0 && bars.every((b) => b.value === b.max);
    },
    undefined,
    { timeout },
  );
}

/** The SHA-256 of a recipient's download of the link's only file, streamed. */
export async function downloadedSha256(url: string): Promise<string> {
  const meta = (await (await fetch(url, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string }> };
  const res = await fetch(`${url}/files/${meta.files[0]!.id}`);
  assert.equal(res.status, 200);
  const hash = createHash('sha256');
  await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), hash);
  return hash.digest('hex');
}
