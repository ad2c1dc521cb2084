import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  auditEvents,
  createSendLink,
  eventuallyStatus,
  listLinks,
  onGateway,
  partialUpload,
  rawRequest,
  sessionCookie,
  stagedFiles,
  stalledDownload,
  stopGateway,
  storedFiles,
  TestGateway,
  waitFor,
  within,
} from '@mft/testing';

const MiB = 1024 * 1024;
/** A product hang fails the test instead of stalling the run. */
const LIMIT = { timeout: 60_000 };

interface GrantView {
  id: string;
  status: string;
  downloads: number;
  deliveredBytes?: number;
}

async function grantOf(gw: TestGateway, token: string, linkId: string): Promise<GrantView> {
  const res = await fetch(`${gw.baseUrl}/api/v1/links/${linkId}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { grants: GrantView[] }).grants[0]!;
}

describe('a gateway killed during a one-time download', () => {
  let gw: TestGateway;
  let token: string;
  const relaunched: TestGateway[] = [];

  before(async () => {
    gw = await TestGateway.start({ env: { DOWNLOAD_HEARTBEAT_SECONDS: '1' } });
    token = await gw.token();
  });
  after(async () => {
    for (const r of relaunched.reverse()) {
      await stopGateway(r);
    }
    await stopGateway(gw);
  });

  /** A one-time link holding `content`, with the URL of its file. */
  async function oneTimeLink(content: Buffer): Promise<{ url: string; fileUrl: string; linkId: string }> {
    const created = await createSendLink(gw.baseUrl, token, [{ name: 'archive.bin', content }], { oneTime: 'true' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const url = created.body.grants[0]!.url;
    const meta = (await (await fetch(url, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string; size: number }> };
    assert.equal(meta.files[0]!.size, content.length);
    return { url, fileUrl: `${url}/files/${meta.files[0]!.id}`, linkId: created.body.id };
  }

  /** Starts the download and leaves it in flight: headers and the first MiB received, the rest blocked. */
  async function downloadInFlight(fileUrl: string, size: number): Promise<Awaited<ReturnType<typeof stalledDownload>>> {
    const inFlight = await stalledDownload(fileUrl, { readBytes: MiB });
    assert.equal(inFlight.status, 200);
    assert.match(inFlight.cookie, /mft_rs=/, 'the download set a recipient session');
    assert.ok(!inFlight.ended() && inFlight.received.length < size, 'the download is still in flight');
    const intruder = await rawRequest(fileUrl);
    assert.equal(intruder.status, 409, 'the claim is held while the download runs');
    return inFlight;
  }

  it('SIGKILL during a one-time download: after a restart the grant can still be downloaded once', LIMIT, async () => {
    const content = randomBytes(64 * MiB);
    const { url, fileUrl, linkId } = await oneTimeLink(content);
    const inFlight = await downloadInFlight(fileUrl, content.length);

    await gw.kill('SIGKILL');
    inFlight.close();
    await gw.launch();

    const file = onGateway(gw, fileUrl);
    const grant = await grantOf(gw, token, linkId);
    assert.notEqual(grant.status, 'consumed', 'the crash consumed nothing');
    assert.equal(grant.downloads, 0, 'the crash counted no download');
    const page = await fetch(onGateway(gw, url), { headers: { accept: 'application/json' } });
    assert.equal(page.status, 200, 'the link page still opens');
    assert.equal((await rawRequest(file)).status, 409, 'the claim survived the crash: another session is still refused');

    const whole = await rawRequest(file, { headers: { cookie: inFlight.cookie } });
    assert.equal(whole.status, 200);
    assert.equal(whole.body.length, content.length);
    assert.ok(whole.body.equals(content), 'the claimer receives the exact bytes');

    assert.equal((await eventuallyStatus(file, 410, { headers: { cookie: inFlight.cookie } })).status, 410, 'then the grant is consumed');
    assert.equal((await rawRequest(file)).status, 410, 'for every session');
    const ended = await grantOf(gw, token, linkId);
    assert.deepEqual({ status: ended.status, downloads: ended.downloads }, { status: 'consumed', downloads: 1 });
  });

  it('SIGKILL during a one-time download that had delivered bytes: past the grace period the claim stays with its claimer; the sender\'s reset frees it, and another session downloads the whole file, exactly once', LIMIT, async () => {
    const content = randomBytes(64 * MiB);
    const { url, fileUrl, linkId } = await oneTimeLink(content);
    const inFlight = await downloadInFlight(fileUrl, content.length);
    // The download's heartbeat records what it has delivered so far, so a crash cannot hide it.
    await waitFor(async () => ((await grantOf(gw, token, linkId)).deliveredBytes ?? 0) >= MiB || null, {
      what: 'the delivered bytes to be recorded by a heartbeat',
      ms: 15_000,
      every: 100,
    });

    await gw.kill('SIGKILL');
    inFlight.close();
    const next = await TestGateway.start({ share: gw, env: { CLAIM_GRACE_SECONDS: '2', JOBS_INTERVAL_SECONDS: '1' } });
    relaunched.push(next);

    const file = onGateway(next, fileUrl);
    const landing = await rawRequest(onGateway(next, url), { headers: { accept: 'application/json' } });
    assert.equal(landing.status, 200);
    const other = sessionCookie(landing);
    assert.match(other, /mft_rs=/);
    assert.notEqual(other, inFlight.cookie);

    // Twice the grace period and several sweeps later, the partly delivered claim is still its claimer's.
    await new Promise((r) => setTimeout(r, 4_000));
    const refused = await rawRequest(file, { headers: { cookie: other, accept: 'application/json' } });
    assert.equal(refused.status, 409);
    assert.equal((JSON.parse(refused.body.toString()) as { code: string }).code, 'grant_claimed');
    const held = await grantOf(next, token, linkId);
    assert.equal(held.status, 'downloading');
    assert.ok((held.deliveredBytes ?? 0) >= MiB, `delivered ${held.deliveredBytes}`);

    const reset = await fetch(`${next.baseUrl}/api/v1/links/${linkId}/grants/${held.id}/reset`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.equal(reset.status, 200);
    const won = await rawRequest(file, { headers: { cookie: other } });
    assert.equal(won.status, 200);
    assert.ok(won.body.equals(content), 'the new session receives the exact bytes');

    assert.equal((await eventuallyStatus(file, 410, { headers: { cookie: other } })).status, 410, 'consumed by that download');
    assert.equal((await rawRequest(file, { headers: { cookie: inFlight.cookie } })).status, 410, 'the crashed claimer cannot download it again');
    const grant = await grantOf(next, token, linkId);
    assert.deepEqual({ status: grant.status, downloads: grant.downloads }, { status: 'consumed', downloads: 1 });
    const events = async (type: string): Promise<number> => (await auditEvents(next, token, type)).filter((e) => e.grantId === grant.id).length;
    assert.deepEqual({ released: await events('grant.released'), reset: await events('grant.reset'), consumed: await events('grant.consumed') }, { released: 0, reset: 1, consumed: 1 });
  });
});

const nothingStored = (target: TestGateway, what: string): Promise<boolean> =>
  waitFor(() => storedFiles(target).length === 0, { what, ms: 15_000, detail: () => JSON.stringify(storedFiles(target)) });

/** The stored files now, so that a test can tell its own bytes from what an earlier test left. */
const storedNow = (target: TestGateway): Set<string> => new Set(storedFiles(target).map((f) => f.path));

/** Waits until every stored file that was not in `baseline` is gone. */
const nothingNewStored = (target: TestGateway, baseline: Set<string>, what: string): Promise<boolean> => {
  const added = (): Array<{ path: string; size: number }> => storedFiles(target).filter((f) => !baseline.has(f.path));
  return waitFor(() => added().length === 0, { what, ms: 15_000, detail: () => JSON.stringify(added()) });
};

/** Waits until the server has written at least `bytes` of the upload into its staging area. */
const stagedAtLeast = (target: TestGateway, bytes: number): Promise<{ path: string; size: number }> =>
  waitFor(() => stagedFiles(target).find((f) => f.size >= bytes) ?? null, {
    what: `${bytes} bytes of the upload to reach storage`,
    ms: 20_000,
    detail: () => JSON.stringify(stagedFiles(target)),
  });

describe('an upload that does not complete', () => {
  let gw: TestGateway;
  let token: string;
  const relaunched: TestGateway[] = [];

  before(async () => {
    // The default STALE_UPLOAD_SECONDS (10 minutes) until the crash below: until then the request
    // itself must clean up after a failed upload; the sweep could not do it in time.
    gw = await TestGateway.start({ env: { MAX_FILE_BYTES: String(48 * MiB) } });
    token = await gw.token();
  });
  after(async () => {
    for (const r of relaunched.reverse()) {
      await stopGateway(r);
    }
    await stopGateway(gw);
  });

  it('a client that disconnects mid-upload leaves no link and no bytes', LIMIT, async () => {
    const baseline = storedNow(gw);
    const upload = partialUpload(gw.baseUrl, token, { declaredBytes: 40 * MiB, sendBytes: 16 * MiB });
    await upload.sent;
    await stagedAtLeast(gw, 8 * MiB);
    upload.close();
    assert.equal(await within(upload.response, 5_000, 'the client connection to close'), null, 'the upload got no answer: the client went away');

    await nothingNewStored(gw, baseline, 'the bytes of the interrupted upload to be removed');
    assert.deepEqual(await listLinks(gw, token), [], 'no link was created');
    const failed = await waitFor(
      async () => {
        const events = await auditEvents(gw, token, 'upload.failed');
        return events.length > 0 ? events : null;
      },
      { what: 'an upload.failed audit event', ms: 5_000 },
    );
    assert.equal(failed.length, 1, 'the failed upload is audited once');
  });

  it('an upload over MAX_FILE_BYTES is refused with 413 and leaves no link and no bytes', LIMIT, async () => {
    const baseline = storedNow(gw);
    const declared = 512 * MiB;
    const upload = partialUpload(gw.baseUrl, token, { declaredBytes: declared, sendBytes: declared, fields: { oneTime: 'true' } });
    const res = await within(upload.response, 20_000, 'the answer to an upload over the size limit').finally(() => upload.close());
    assert.ok(res, 'the server answered before closing the connection');
    assert.equal(res.status, 413, res.body);
    assert.equal((JSON.parse(res.body) as { code: string }).code, 'file_too_large');
    assert.ok(upload.sentBytes() < declared, 'the refusal came before the whole body was sent');

    await nothingNewStored(gw, baseline, 'the bytes of the refused upload to be removed');
    assert.deepEqual(await listLinks(gw, token), [], 'no link was created');
  });

  it('SIGKILL during an upload leaves no link and, after the next sweep, no bytes', LIMIT, async () => {
    const upload = partialUpload(gw.baseUrl, token, { declaredBytes: 256 * MiB, sendBytes: 40 * MiB });
    await upload.sent;
    await stagedAtLeast(gw, 32 * MiB);

    await gw.kill('SIGKILL');
    upload.close();
    assert.ok(storedFiles(gw).length > 0, 'the crash left the partial upload on disk');

    const next = await TestGateway.start({ share: gw, env: { STALE_UPLOAD_SECONDS: '1', JOBS_INTERVAL_SECONDS: '0.5' } });
    relaunched.push(next);
    assert.deepEqual(await listLinks(next, token), [], 'no link was created');

    await nothingStored(next, 'the maintenance sweep to remove the abandoned upload');
    const abandoned = await waitFor(
      async () => {
        const events = await auditEvents(next, token, 'upload.abandoned');
        return events.length > 0 ? events : null;
      },
      { what: 'an upload.abandoned audit event' },
    );
    const keys = abandoned.map((e) => String((e.details as { storageKey?: unknown }).storageKey));
    for (const key of keys) {
      assert.match(key, /^send\/[0-9a-f-]{36}\/[0-9a-f-]{36}$/);
    }
    assert.equal(new Set(keys).size, keys.length, 'each abandoned upload is audited once');
    assert.deepEqual(await listLinks(next, token), [], 'still no link');
  });
});
