import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createSendLink, eventuallyStatus, onGateway, rawRequest, stopGateway, TestGateway } from '@mft/testing';

const KiB = 1024;
/** A product hang fails the test instead of stalling the run. */
const LIMIT = { timeout: 60_000 };

interface VerifyResult {
  ok: boolean;
  checked: number;
  firstBad?: unknown;
}

// Always on PostgreSQL, in the PGlite run too: replicas share one PostgreSQL database and one DATA_DIR.
describe('two gateway processes on one PostgreSQL', () => {
  let a: TestGateway;
  let b: TestGateway;
  let token: string;

  before(async () => {
    a = await TestGateway.start({ database: 'postgres' });
    b = await TestGateway.start({ share: a });
    token = await a.token();
  });
  after(async () => {
    await stopGateway(b);
    await stopGateway(a);
  });

  async function create(on: TestGateway, content: Buffer, fields: Record<string, string> = {}): Promise<{ url: string; fileUrl: string; linkId: string }> {
    const created = await createSendLink(on.baseUrl, token, [{ name: 'ledger.bin', content }], fields);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const url = created.body.grants[0]!.url;
    const meta = (await (await fetch(url, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string }> };
    return { url, fileUrl: `${url}/files/${meta.files[0]!.id}`, linkId: created.body.id };
  }

  async function verify(on: TestGateway): Promise<VerifyResult> {
    const res = await fetch(`${on.baseUrl}/api/v1/audit/verify`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    return (await res.json()) as VerifyResult;
  }

  it('two gateway processes on one PostgreSQL racing for the same one-time grant: exactly one winner', LIMIT, async () => {
    for (let round = 1; round <= 5; round++) {
      const content = randomBytes(256 * KiB);
      const { fileUrl, linkId } = await create(a, content, { oneTime: 'true' });
      const onA = onGateway(a, fileUrl);
      const onB = onGateway(b, fileUrl);
      // 20 downloads to each process at once, interleaved, each a new browser session (no cookie).
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => rawRequest(i % 2 === 0 ? onA : onB).then((r) => ({ ...r, via: i % 2 === 0 ? 'A' : 'B' }))));
      const statuses = results.map((r) => `${r.via}:${r.status}`).join(',');
      const winners = results.filter((r) => r.status === 200);
      assert.equal(winners.length, 1, `round ${round}: exactly one download wins; statuses: ${statuses}`);
      assert.ok(winners[0]!.body.equals(content), `round ${round}: the winner receives the exact bytes`);
      for (const r of results.filter((x) => x.status !== 200)) {
        assert.ok(r.status === 409 || r.status === 410, `round ${round}: a loser got ${r.status} from ${r.via}`);
      }
      assert.equal((await eventuallyStatus(onA, 410)).status, 410, `round ${round}: consumed, as seen by A`);
      assert.equal((await eventuallyStatus(onB, 410)).status, 410, `round ${round}: consumed, as seen by B`);
      const link = await (await fetch(`${b.baseUrl}/api/v1/links/${linkId}`, { headers: { authorization: `Bearer ${token}` } })).json();
      const grant = (link as { grants: Array<{ status: string; downloads: number }> }).grants[0]!;
      assert.deepEqual({ status: grant.status, downloads: grant.downloads }, { status: 'consumed', downloads: 1 }, `round ${round}: one download counted`);
    }
  });

  it('the audit chain stays valid when both replicas write events at the same time', LIMIT, async () => {
    const shared = await create(a, randomBytes(64 * KiB));
    const work: Array<Promise<unknown>> = [];
    for (const gw of [a, b, a, b, a, b]) {
      // Each replica creates links, opens pages and downloads at once: every step appends audit events.
      work.push(create(gw, randomBytes(16 * KiB), { oneTime: 'true' }));
      work.push(fetch(onGateway(gw, shared.url)).then((r) => r.arrayBuffer()));
      work.push(rawRequest(onGateway(gw, shared.fileUrl)).then((r) => assert.equal(r.status, 200)));
    }
    await Promise.all(work);

    const [fromA, fromB] = await Promise.all([verify(a), verify(b)]);
    assert.equal(fromA.ok, true, `audit chain broken: ${JSON.stringify(fromA)}`);
    assert.equal(fromB.ok, true, `audit chain broken: ${JSON.stringify(fromB)}`);
    assert.ok(fromA.checked > 100, `every event was checked (${fromA.checked})`);

    const exported = await fetch(`${b.baseUrl}/api/v1/audit/events?format=jsonl`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(exported.status, 200);
    const seqs = (await exported.text())
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => (JSON.parse(l) as { seq: number }).seq);
    assert.ok(seqs.length >= fromA.checked);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), 'one gapless sequence, no duplicates');
  });
});
