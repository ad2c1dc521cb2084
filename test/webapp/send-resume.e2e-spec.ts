// database-neutral: drives the staff app in a browser or serves its files; the API and SQL behind its pages are covered on both databases by the API suites
import assert from 'node:assert/strict';
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page, Request } from 'playwright-core';
import { downloadedSha256, erinsPage, progressFull, startSendWorld, type SendWorld } from './send-session.js';

const MiB = 1024 * 1024;
const SIZE = 200 * MiB;
const CHUNK = 32 * MiB;

/** A file of `size` random bytes written 1 MiB at a time; answers its SHA-256. */
function writeRandomFile(path: string, size: number): string {
  const hash = createHash('sha256');
  const buf = Buffer.alloc(MiB);
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < size; done += buf.length) {
      randomFillSync(buf);
      hash.update(buf);
      writeSync(fd, buf);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** The tus requests the page makes: method, upload address and Upload-Offset. */
function tusRequests(page: Page): Array<{ method: string; url: string; offset: number | null }> {
  const seen: Array<{ method: string; url: string; offset: number | null }> = [];
  page.on('request', (r: Request) => {
    if (new URL(r.url()).pathname.startsWith('/api/v1/uploads')) {
      const offset = r.headers()['upload-offset'];
      seen.push({ method: r.method(), url: r.url(), offset: offset === undefined ? null : Number(offset) });
    }
  });
  return seen;
}

/** Where the gateway says the upload at `url` stands (tus HEAD with erin's session). */
async function serverOffset(world: SendWorld, url: string): Promise<number> {
  const res = await fetch(url, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0', cookie: `mft_session=${world.session}` } });
  assert.equal(res.status, 200);
  return Number(res.headers.get('upload-offset'));
}

/** The offset once it stops moving (a cut-off request's bytes are committed a moment after the cut). */
async function settledOffset(world: SendWorld, url: string): Promise<number> {
  let last = -1;
  for (let i = 0; i < 40; i++) {
    const now = await serverOffset(world, url);
    if (now === last) {
      return now;
    }
    last = now;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('the upload offset did not settle');
}

/** Waits until the page has asked to PATCH at `offset` bytes or more. */
async function patchedPast(page: Page, offset: number): Promise<void> {
  await page.waitForRequest((r) => r.method() === 'PATCH' && Number(r.headers()['upload-offset'] ?? '0') >= offset, { timeout: 120_000 });
}

async function sendTo(page: Page, recipient: string): Promise<string> {
  await page.getByLabel('Recipients').fill(recipient);
  await progressFull(page, 300_000);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  const box = page.getByRole('textbox', { name: `Link for ${recipient}` });
  await box.waitFor({ timeout: 120_000 });
  return box.inputValue();
}

/** A 200 MiB upload from the browser, cut off midway, continues where it stopped, and the recipient gets the exact bytes. */
describe('a large upload on the Send page survives a dropped network and a reload', () => {
  let world: SendWorld;
  let dir: string;
  let file: string;
  let sha256: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mft-send-resume-'));
    file = join(dir, 'survey-footage.bin');
    sha256 = writeRandomFile(file, SIZE);
    world = await startSendWorld();
  });
  after(async () => {
    await world?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('offline midway, then back online: the upload continues from the offset the gateway holds', async () => {
    const { context, page, problems } = await erinsPage(world, 1280);
    const seen = tusRequests(page);
    await page.goto(`${world.gw.baseUrl}/app/send`);
    await page.getByLabel('Files').setInputFiles(file);
    await patchedPast(page, 2 * CHUNK);
    await context.setOffline(true);
    await page.getByText('waiting for the network').first().waitFor();
    await page.screenshot({ path: join(tmpdir(), 'mft-send-offline-1280.png'), fullPage: true });
    const upload = seen.find((r) => r.method === 'PATCH')!.url;
    const held = await settledOffset(world, upload);
    assert.ok(held >= 2 * CHUNK && held < SIZE, `the gateway holds part of the file (${held} bytes)`);
    const before = seen.length;

    await context.setOffline(false);
    await patchedPast(page, held);
    const after = seen.slice(before);
    assert.equal(after.filter((r) => r.method === 'POST').length, 0, 'no new upload was started');
    const firstPatch = after.find((r) => r.method === 'PATCH')!;
    assert.equal(firstPatch.url, upload, 'the same upload');
    assert.equal(firstPatch.offset, held, 'continued at the offset the gateway held, not from 0');
    await page.getByText(/^Continued from \d+\.\d MiB: the bytes sent before were kept\.$/).waitFor();

    const url = await sendTo(page, 'ivy@example.test');
    assert.equal(seen.filter((r) => r.method === 'POST').length, 1, 'one upload in all');
    assert.equal(await downloadedSha256(url), sha256, 'the recipient gets the exact bytes');
    assert.deepEqual(
      problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|net::ERR/.test(p)),
      [],
    );
    await context.close();
  });

  it('a reload midway, then the same file picked again: the upload continues where it stopped', async () => {
    const { context, page, problems } = await erinsPage(world, 390);
    const seen = tusRequests(page);
    await page.goto(`${world.gw.baseUrl}/app/send`);
    await page.getByLabel('Files').setInputFiles(file);
    await patchedPast(page, 2 * CHUNK);
    const upload = seen.find((r) => r.method === 'PATCH')!.url;
    await page.reload();
    await page.getByLabel('Files').waitFor();
    const held = await settledOffset(world, upload);
    assert.ok(held >= 2 * CHUNK && held < SIZE, `the gateway holds part of the file (${held} bytes)`);
    const before = seen.length;

    await page.getByLabel('Files').setInputFiles(file);
    await patchedPast(page, held);
    const after = seen.slice(before);
    assert.equal(after.filter((r) => r.method === 'POST').length, 0, 'no new upload was started');
    assert.equal(after[0]?.method, 'HEAD', 'it asked the gateway where the upload stands');
    assert.equal(after[0]?.url, upload);
    assert.equal(after.find((r) => r.method === 'PATCH')!.offset, held, 'and continued there');
    await page.getByText(/^Continued from \d+\.\d MiB: the bytes sent before were kept\.$/).waitFor();
    await page.screenshot({ path: join(tmpdir(), 'mft-send-resumed-390.png'), fullPage: true });

    const url = await sendTo(page, 'jon@example.test');
    assert.equal(await downloadedSha256(url), sha256, 'the recipient gets the exact bytes');
    assert.deepEqual(problems.filter((p) => !/net::ERR/.test(p)), []);
    await context.close();
  });
});
