import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { openArchiveRange, planArchive, type ArchivePlan } from '@mft/links';
import pg from 'pg';
import { cookieHeaderFromJar, createSendLink, eventuallyStatus, interruptedDownload, onPostgres, TestGateway } from '@mft/testing';

const MiB = 1024 * 1024;

interface LinkJson {
  id: string;
  createdAt: string;
  files: Array<{ id: string; name: string; size: number; sha256: string }>;
  grants: Array<{ status: string; downloads: number; deliveredBytes: number }>;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function run(cmd: string, args: readonly string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 * MiB });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Runs curl (`-s -S`, HTTP status on stdout) to completion. */
function curl(args: readonly string[]): { status: number | null; http: string; out: string } {
  const r = spawnSync('curl', ['-sS', '-w', '%{http_code}', ...args], { encoding: 'utf8' });
  return { status: r.status, http: r.stdout.slice(-3), out: `${r.stdout}${r.stderr}` };
}

/** Python's zipfile: testzip, and each entry's name and SHA-256. */
function pythonEntries(zipPath: string): Array<[string, string]> {
  const script = `
import hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps([[i.filename, hashlib.sha256(z.read(i)).hexdigest()] for i in z.infolist()]))
`;
  const r = run('python3', ['-c', script, zipPath]);
  assert.equal(r.status, 0, r.out);
  return JSON.parse(r.out) as Array<[string, string]>;
}

describe('a multi-file archive resumes like a file: exact length, ETag, Range and curl -C -', () => {
  let gw: TestGateway;
  let token: string;
  let dir: string;
  const files = [
    // Larger than what loopback socket buffers hold, so that a client killed early has not been sent every file's bytes.
    { name: 'report.pdf', content: randomBytes(40 * MiB + 123) },
    { name: 'empty.txt', content: Buffer.alloc(0) },
    { name: 'Überweisung 報告書.bin', content: randomBytes(3 * MiB) },
    { name: 'notes.txt', content: Buffer.from('last one\n') },
  ];

  before(async () => {
    gw = await TestGateway.start();
    token = await gw.token();
    dir = mkdtempSync(join(tmpdir(), 'mft-archive-e2e-'));
  });
  after(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function getLink(id: string): Promise<LinkJson> {
    const res = await fetch(`${gw.baseUrl}/api/v1/links/${id}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    return (await res.json()) as LinkJson;
  }

  async function create(fields: Record<string, string>): Promise<{ id: string; archive: string; link: LinkJson }> {
    const created = await createSendLink(gw.baseUrl, token, files, fields);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return { id: created.body.id, archive: `${created.body.grants[0]!.url}/archive`, link: await getLink(created.body.id) };
  }

  /** The archive the link must serve, built here from the uploaded bytes with the same layout. */
  async function expected(link: LinkJson): Promise<{ plan: ArchivePlan; bytes: Buffer }> {
    const plan = planArchive(link.files.map((f) => ({ name: f.name, size: f.size, modifiedAt: new Date(link.createdAt), version: f.sha256 })));
    const stream = await openArchiveRange(plan, null, {
      open: (i, r) => Promise.resolve(Readable.from([files[i]!.content.subarray(r.start, r.end + 1)])),
      crc32: () => Promise.reject(new Error('a whole archive needs no CRC from its source')),
    });
    const chunks: Buffer[] = [];
    for await (const c of stream as AsyncIterable<Buffer>) {
      chunks.push(c);
    }
    return { plan, bytes: Buffer.concat(chunks) };
  }

  function checkZip(zipPath: string): void {
    const test = run('unzip', ['-t', zipPath]);
    assert.equal(test.status, 0, test.out);
    assert.match(test.out, /No errors detected/);
    assert.deepEqual(
      pythonEntries(zipPath),
      files.map((f) => [f.name, sha256(f.content)]),
    );
  }

  it('HEAD answers the exact length and the ETag; an interrupted curl resumed with -C - gets identical bytes; If-Range and Range answer like a file', async () => {
    const { archive, link } = await create({ oneTime: 'false' });
    const { plan, bytes } = await expected(link);

    const head = await fetch(archive, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(plan.size), 'the exact length before any byte');
    assert.equal(head.headers.get('etag'), plan.etag);
    assert.equal(head.headers.get('accept-ranges'), 'bytes');

    const full = join(dir, 'full.zip');
    const whole = curl(['-o', full, archive]);
    assert.equal(whole.http, '200', whole.out);
    assert.equal(sha256(readFileSync(full)), sha256(bytes), 'the full archive is the planned one, byte for byte');
    checkZip(full);

    const resumed = join(dir, 'resumed.zip');
    const had = await interruptedDownload(archive, resumed, 1 * MiB);
    assert.ok(had < plan.size, `interrupted after ${had} of ${plan.size} bytes`);
    const rest = curl(['-C', '-', '-o', resumed, archive]);
    assert.equal(rest.status, 0, rest.out);
    assert.equal(rest.http, '206', rest.out);
    assert.equal(sha256(readFileSync(resumed)), sha256(bytes), 'the resumed archive is identical to the full one');
    checkZip(resumed);

    const stale = await fetch(archive, { headers: { range: 'bytes=100-199', 'if-range': '"zip1-another-archive"' } });
    assert.equal(stale.status, 200, 'another ETag in If-Range: the whole archive');
    assert.equal(Buffer.from(await stale.arrayBuffer()).length, plan.size);
    const part = await fetch(archive, { headers: { range: 'bytes=100-199', 'if-range': plan.etag } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 100-199/${plan.size}`);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200)));
    const outside = await fetch(archive, { headers: { range: `bytes=${plan.size}-` } });
    assert.equal(outside.status, 416);
    assert.equal(outside.headers.get('content-range'), `bytes */${plan.size}`);
  });

  it('a range holding only the central directory needs no stored copy: the CRC-32s recorded at upload are used', async () => {
    const { id, archive, link } = await create({ oneTime: 'false' });
    const { plan, bytes } = await expected(link);
    for (const f of link.files) {
      rmSync(join(gw.dataDir, 'files', 'send', id, f.id), { force: true });
    }
    const res = await fetch(archive, { headers: { range: `bytes=${plan.centralDirectoryOffset}-` } });
    assert.equal(res.status, 206);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(plan.centralDirectoryOffset)), 'the directory with every CRC, read from nothing but the database');
  });

  it('copies stored before CRC-32s were recorded: a resumed range reads them for their CRC, and the bytes are the same', async () => {
    // Its own gateway on PostgreSQL, so that the test can make the rows look as they did before the column existed.
    const pgw = onPostgres() ? gw : await TestGateway.start({ database: 'postgres' });
    try {
      const created = await createSendLink(pgw.baseUrl, pgw === gw ? token : await pgw.token(), files, { oneTime: 'false' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const client = new pg.Client({ connectionString: pgw.databaseUrl! });
      await client.connect();
      try {
        const cleared = await client.query(`UPDATE link_files SET crc32 = NULL WHERE link_id = $1 AND crc32 IS NOT NULL`, [created.body.id]);
        assert.equal(cleared.rowCount, files.length, 'the upload had recorded every CRC-32 (0 for the empty file)');
      } finally {
        await client.end();
      }
      const api = await fetch(`${pgw.baseUrl}/api/v1/links/${created.body.id}`, { headers: { authorization: `Bearer ${pgw === gw ? token : await pgw.token()}` } });
      const { plan, bytes } = await expected((await api.json()) as LinkJson);
      const from = plan.entries[2]!.dataOffset + 1000;
      const res = await fetch(`${created.body.grants[0]!.url}/archive`, { headers: { range: `bytes=${from}-` } });
      assert.equal(res.status, 206);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(from)), 'the descriptor and the directory carry the CRC-32s read from the copies');
    } finally {
      if (pgw !== gw) {
        await pgw.stop();
      }
    }
  });

  it('a one-time link: the claimer resumes across three parts, another session gets 409 meanwhile, and the grant is consumed only with the last byte', async () => {
    const { id, archive, link } = await create({ oneTime: 'true' });
    const { plan, bytes } = await expected(link);
    const jar = join(dir, 'jar.txt');
    const zip = join(dir, 'one-time.zip');
    // The session cookie comes with the page (which claims nothing); an interrupted download would not save it.
    const landing = curl(['-c', jar, '-o', '/dev/null', archive.replace(/\/archive$/, '')]);
    assert.equal(landing.http, '200', landing.out);
    const had = await interruptedDownload(archive, zip, 1 * MiB, { cookie: cookieHeaderFromJar(jar) });
    assert.ok(had < plan.size - 1);

    const intruder = await fetch(archive, { headers: { accept: 'application/json' } });
    assert.equal(intruder.status, 409, 'another session may not take the claim');
    assert.equal(((await intruder.json()) as { code: string }).code, 'grant_claimed');

    // All but the archive's last byte: every byte of every file has now reached the claimer, but not the end of the archive.
    const most = curl(['-b', jar, '-c', jar, '-r', `${had}-${plan.size - 2}`, archive, '-o', join(dir, 'most.part')]);
    assert.equal(most.http, '206', most.out);
    await sleep(500);
    let grant = (await getLink(id)).grants[0]!;
    assert.equal(grant.status, 'downloading', 'not consumed before the last byte');
    assert.equal(grant.downloads, 0);
    assert.equal((await fetch(archive, { headers: { accept: 'application/json' } })).status, 409, 'still claimed');
    const page = run('curl', ['-sS', '-b', jar, '-o', '/dev/null', '-w', '%{http_code}', '-H', 'accept: application/json', archive.replace(/\/archive$/, '')]);
    assert.equal(page.out, '200', 'the claimer still sees the link');

    const soFar = Buffer.concat([readFileSync(zip), readFileSync(join(dir, 'most.part'))]);
    assert.equal(soFar.length, plan.size - 1);
    writeFileSync(zip, soFar);
    const last = curl(['-b', jar, '-c', jar, '-C', '-', '-o', zip, archive]);
    assert.equal(last.status, 0, last.out);
    assert.equal(last.http, '206', last.out);
    assert.equal(sha256(readFileSync(zip)), sha256(bytes), 'three parts, one archive: identical bytes');
    checkZip(zip);

    const gone = await eventuallyStatus(archive, 410, { headers: { accept: 'application/json' } });
    assert.equal(gone.status, 410, 'consumed once the last byte was delivered');
    grant = (await getLink(id)).grants[0]!;
    assert.deepEqual({ status: grant.status, downloads: grant.downloads }, { status: 'consumed', downloads: 1 });
    const claimer = curl(['-b', jar, '-o', '/dev/null', archive]);
    assert.equal(claimer.http, '410', 'the claimer too: it has had every byte');
  });
});
