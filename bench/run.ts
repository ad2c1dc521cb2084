/**
 * `npm run bench`: upload and download the same send copy through the gateway, nginx (sendfile)
 * and a bare Node.js server, one size after another, and print throughputs, ratios against the
 * targets, and the gateway's peak RSS. A missed target is reported, never an error: the exit
 * status is non-zero only when something broke.
 *
 * Environment:
 *   BENCH_SUITES    what to measure, comma-separated (default all): "send" (send links against nginx
 *                   and bare Node), "share" (a file share on a local connection against the send
 *                   link), "s3" (send copies in S3 on s3rver against bare SDK calls), "sftp" (a file
 *                   share on an SFTP connection against OpenSSH's sftp client), "tus" (a resumable
 *                   upload with tus-js-client against a multipart upload), "ingress" (get and put on
 *                   a local mount of the gateway's SFTP ingress, and concurrent sessions, against
 *                   OpenSSH's sshd serving the same folder)
 *   BENCH_SIZES     sizes of "send" and "share", comma-separated (default "64M,1G"; K, M, G are binary units)
 *   BENCH_S3_SIZES  sizes of "s3" (default "256M")
 *   BENCH_SFTP_SIZES sizes of "sftp" (default "256M")
 *   BENCH_TUS_SIZES sizes of "tus" (default "1G"): a tus upload with tus-js-client against a
 *                   multipart upload of the same file, both ending in a send link
 *   BENCH_TUS_CHUNK  tus-js-client's chunk size, bytes per PATCH (default "all": the whole file in
 *                   one PATCH, tus-js-client's own default)
 *   BENCH_INGRESS_SIZES     sizes of the single get and put of "ingress" (default "1G"), each with
 *                           aes128-gcm@openssh.com and chacha20-poly1305@openssh.com
 *   BENCH_INGRESS_SESSIONS  concurrent SFTP sessions of "ingress", each getting a 64 MiB file (default 32)
 *   BENCH_RUNS      measured repetitions per figure, median reported (default 3; small files get more)
 *   BENCH_PARALLEL  parallel clients (default 8)
 *   BENCH_PGLITE    "0" leaves out the gateway on the embedded PGlite database (measured side by side by default)
 *   BENCH_TMPFS     "0" skips the uploads into tmpfs (/dev/shm)
 *   BENCH_JSON      also write every sample to this file
 *   BENCH_PROFILE   a directory: run the gateway under the V8 profiler and write one .cpuprofile per phase
 *   BENCH_GATEWAY_NODE_OPTIONS  NODE_OPTIONS for the gateway processes only (to try runtime flags)
 *   BENCH_GATEWAY_ENV           more environment for the gateway processes only: NAME=value pairs
 *                               separated by spaces (e.g. "MALLOC_ARENA_MAX=2")
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, linkSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statfsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { descendantsOf, generateClientKey, s3ConnectionBody, sftpConnectionBody, SshServer, TestGateway } from '@mft/testing';
import { startChild, startChildServer, type ChildWorker } from './children.js';
import { sftpBatch, startSftpClient, type SftpEndpoint } from './sftp.js';
import { download, parallelDownload, uploadMultipart, uploadRaw, type Timed } from './curl.js';
import { tusUpload } from './tus-client.js';
import { ensureNginx, nginxVersion, startNginx } from './nginx.js';
import { gcCounters, makeFile, parseSize } from './measure.js';
import { summarize } from './profile-summary.js';
import { coresBusy, cpuSecondsOf, cpuSecondsWithChildren, findProcess, hostCpu, loadAverage, resetPeak, statusBytes } from './proc.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const CORES = cpus().length;

// ---------------------------------------------------------------------------------------------
// Settings


function positiveInt(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new Error(`${name} must be an integer from 1 to ${max}`);
  }
  return n;
}

const SUITES = ['send', 'share', 's3', 'sftp', 'tus', 'ingress'] as const;
type Suite = (typeof SUITES)[number];

function suites(): ReadonlySet<Suite> {
  const raw = (process.env.BENCH_SUITES ?? '').trim();
  if (raw === '') {
    return new Set(SUITES);
  }
  const picked = raw.split(',').map((x) => x.trim()).filter(Boolean);
  for (const x of picked) {
    if (!(SUITES as readonly string[]).includes(x)) {
      throw new Error(`BENCH_SUITES: ${JSON.stringify(x)} is not one of ${SUITES.join(', ')}`);
    }
  }
  return new Set(picked as Suite[]);
}

const sizes = (name: string, fallback: string): number[] => (process.env[name] || fallback).split(',').filter(Boolean).map((t) => parseSize(t, name));

const settings = {
  suites: suites(),
  sizes: sizes('BENCH_SIZES', '64M,1G'),
  s3Sizes: sizes('BENCH_S3_SIZES', '256M'),
  sftpSizes: sizes('BENCH_SFTP_SIZES', '256M'),
  tusSizes: sizes('BENCH_TUS_SIZES', '1G'),
  ingressSizes: sizes('BENCH_INGRESS_SIZES', '1G'),
  ingressSessions: positiveInt('BENCH_INGRESS_SESSIONS', 32, 256),
  tusChunk: ['', 'all'].includes(process.env.BENCH_TUS_CHUNK ?? '') ? Infinity : parseSize(process.env.BENCH_TUS_CHUNK!, 'BENCH_TUS_CHUNK'),
  runs: positiveInt('BENCH_RUNS', 3, 50),
  parallel: positiveInt('BENCH_PARALLEL', 8, 64),
  pglite: process.env.BENCH_PGLITE !== '0',
  tmpfs: process.env.BENCH_TMPFS !== '0',
  json: process.env.BENCH_JSON ? resolve(process.env.BENCH_JSON) : null,
  profile: process.env.BENCH_PROFILE ? resolve(process.env.BENCH_PROFILE) : null,
  gatewayNodeOptions: process.env.BENCH_GATEWAY_NODE_OPTIONS ?? '',
  gatewayEnv: Object.fromEntries(
    (process.env.BENCH_GATEWAY_ENV ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((pair) => {
        const eq = pair.indexOf('=');
        if (eq < 1) {
          throw new Error(`BENCH_GATEWAY_ENV: ${JSON.stringify(pair)} is not NAME=value`);
        }
        return [pair.slice(0, eq), pair.slice(eq + 1)];
      }),
  ) as Record<string, string>,
};

const RSS_TARGET = 150 * MiB;
const TUS_CLIENT_VERSION = (createRequire(import.meta.url)('tus-js-client/package.json') as { version: string }).version;
/** Small files are transferred more often, so that every figure covers at least this many bytes. */
const MIN_BYTES_PER_FIGURE = 256 * MiB;

// ---------------------------------------------------------------------------------------------
// Output helpers

const progress = (line: string): void => void process.stderr.write(`${line}\n`);

function sizeName(bytes: number): string {
  if (bytes % GiB === 0) {
    return `${bytes / GiB} GiB`;
  }
  if (bytes % MiB === 0) {
    return `${bytes / MiB} MiB`;
  }
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

// ---------------------------------------------------------------------------------------------
// Measurements

/** One measured transfer (or group of parallel transfers). */
interface Sample {
  readonly bytes: number;
  readonly seconds: number;
  readonly mibps: number;
  /** CPU seconds the server process(es) used meanwhile (for the remote storage figures, see `benchS3`, `benchSftp`). */
  readonly serverCpu: number;
  /** How many of the host's cores were busy on average meanwhile (clients included). */
  readonly hostCores: number;
  /** Seconds to the first byte of the answer (single transfers), else NaN. */
  readonly firstByte: number;
  /** Gateway only: major garbage collections meanwhile, and seconds of GC pauses (else NaN). */
  readonly gcMajor: number;
  readonly gcSeconds: number;
}

interface Figure {
  readonly samples: Sample[];
  readonly mibps: number;
  readonly min: number;
  readonly max: number;
  /** Median server CPU seconds per GiB moved. */
  readonly cpuPerGiB: number;
  readonly hostCores: number;
  /** Median time to the first byte, milliseconds (NaN when not measured). */
  readonly firstByteMs: number;
  /** Gateway only: major GCs per GiB moved (median and worst sample), GC pause milliseconds per GiB (median). */
  readonly gcMajorPerGiB: number;
  readonly gcMajorPerGiBMax: number;
  readonly gcMsPerGiB: number;
}

function figure(samples: Sample[]): Figure {
  return {
    samples,
    mibps: median(samples.map((s) => s.mibps)),
    min: Math.min(...samples.map((s) => s.mibps)),
    max: Math.max(...samples.map((s) => s.mibps)),
    cpuPerGiB: median(samples.map((s) => s.serverCpu / (s.bytes / GiB))),
    hostCores: median(samples.map((s) => s.hostCores)),
    firstByteMs: median(samples.map((s) => s.firstByte * 1000)),
    gcMajorPerGiB: median(samples.map((s) => s.gcMajor / (s.bytes / GiB))),
    gcMajorPerGiBMax: Math.max(...samples.map((s) => s.gcMajor / (s.bytes / GiB))),
    gcMsPerGiB: median(samples.map((s) => (s.gcSeconds * 1000) / (s.bytes / GiB))),
  };
}

/** Runs `fn`, timing it as it reports, and charges the CPU that `pids` used meanwhile. */
async function measure(pids: () => number[], fn: () => Promise<Timed>, gateway?: string): Promise<Sample> {
  const gc0 = gateway ? await gcCounters(gateway) : null;
  const p = pids();
  const cpu0 = cpuSecondsOf(p);
  const host0 = hostCpu();
  const t = await fn();
  const host1 = hostCpu();
  const cpu1 = cpuSecondsOf(p);
  const gc1 = gateway ? await gcCounters(gateway) : null;
  return {
    gcMajor: gc0 && gc1 ? gc1.major - gc0.major : NaN,
    gcSeconds: gc0 && gc1 ? gc1.seconds - gc0.seconds : NaN,
    bytes: t.bytes,
    seconds: t.seconds,
    mibps: t.bytes / MiB / t.seconds,
    serverCpu: cpu1 - cpu0 + (t.cpu ?? 0),
    hostCores: coresBusy(host0, host1, CORES),
    firstByte: t.firstByte ?? NaN,
  };
}



/** Flushes dirty pages so that one upload's write-back does not slow down the next measurement. */
function syncDisks(): void {
  spawnSync('sync', { stdio: 'ignore', timeout: 120_000 });
}

const payloads = new Map<number, { path: string; sha256: string }>();

/** The random test file of `size` bytes in `work` (written once per run), and its SHA-256. */
function payload(work: string, size: number): { path: string; sha256: string } {
  let p = payloads.get(size);
  if (!p) {
    progress(`  writing ${sizeName(size)} of random bytes`);
    const path = join(work, `payload-${size}.bin`);
    p = { path, sha256: makeFile(path, size) };
    payloads.set(size, p);
  }
  return p;
}


// ---------------------------------------------------------------------------------------------
// The gateway

interface RunningGateway {
  readonly gw: TestGateway;
  readonly pid: number;
  readonly token: string;
  readonly label: string;
  readonly profiled: boolean;
  /** Stops the gateway and drops its data and database (once). */
  readonly stop: () => Promise<void>;
}

const cleanups: Array<() => Promise<void> | void> = [];

/** `fn` the first time; later calls return the same promise (a cleanup registered twice runs once). */
function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | null = null;
  return () => (p ??= fn());
}

async function startGateway(
  label: string,
  database: 'postgres' | 'pglite',
  dataParent: string | null,
  profile = false,
  more: { env?: Record<string, string>; config?: readonly string[] } = {},
): Promise<RunningGateway> {
  const savedDb = process.env.DATABASE_URL;
  const savedTmp = process.env.TMPDIR;
  const env: Record<string, string> = { ...settings.gatewayEnv, HOST: '127.0.0.1', ...more.env };
  if (settings.gatewayNodeOptions) {
    env.NODE_OPTIONS = settings.gatewayNodeOptions;
  }
  const profiling = settings.profile !== null && profile;
  if (profiling) {
    env.BENCH_PROFILE = settings.profile!;
  }
  let gw: TestGateway;
  try {
    if (database === 'pglite') {
      delete process.env.DATABASE_URL; // the harness then runs the embedded database
    }
    if (dataParent) {
      process.env.TMPDIR = dataParent; // the harness makes DATA_DIR under os.tmpdir()
    }
    gw = await TestGateway.start({
      database: database === 'postgres' ? 'postgres' : 'auto',
      env,
      ...(more.config ? { config: more.config } : {}),
      ...(profiling ? { entry: 'dist/bench/profiled-gateway.js' } : {}),
    });
  } finally {
    if (savedDb === undefined) {
      delete process.env.DATABASE_URL;
    } else {
      process.env.DATABASE_URL = savedDb;
    }
    if (savedTmp === undefined) {
      delete process.env.TMPDIR;
    } else {
      process.env.TMPDIR = savedTmp;
    }
  }
  const stop = once(() => gw.stop());
  cleanups.push(stop);
  const pid = findProcess(profiling ? 'profiled-gateway.js' : 'dist/apps/main.js', `DATA_DIR=${gw.dataDir}`);
  if (pid === null) {
    throw new Error(`cannot find the process of the gateway on port ${gw.port}`);
  }
  const token = await gw.token();
  return { gw, pid, token, label, stop, profiled: profiling };
}

/** Ends the current profiling phase of a profiled gateway (no-op otherwise) and waits for its file. */
async function profilePhase(g: RunningGateway, phase: string): Promise<void> {
  if (!settings.profile || !g.profiled) {
    return;
  }
  const base = join(settings.profile, `gateway-${g.label}-${phase}`);
  writeFileSync(`${base}.cut`, '');
  const deadline = Date.now() + 30_000;
  while (existsSync(`${base}.cut`) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface SendCopy {
  readonly linkId: string;
  readonly fileId: string;
  readonly grantUrl: string;
  readonly downloadUrl: string;
  /** Path of the copy relative to the gateway's `files` directory. */
  readonly key: string;
}

async function uploadToGateway(g: RunningGateway, file: string, size: number): Promise<{ timed: Timed; linkId: string; grantUrl: string }> {
  const { transfer, body } = await uploadMultipart(`${g.gw.baseUrl}/api/v1/links`, file, size, { Authorization: `Bearer ${g.token}` });
  const created = JSON.parse(body) as { id: string; grants: Array<{ url: string }> };
  return { timed: { bytes: size, seconds: transfer.seconds }, linkId: created.id, grantUrl: created.grants[0]!.url };
}

/** The file of a send link as its grant lists it, checked against the bytes sent. */
async function listedFile(grantUrl: string, size: number, sha256: string): Promise<{ id: string; downloadUrl: string }> {
  const res = await fetch(grantUrl, { headers: { accept: 'application/json' } });
  const meta = (await res.json()) as { files: Array<{ id: string; size: number; sha256: string }> };
  const f = meta.files[0];
  if (!f || f.size !== size || f.sha256 !== sha256) {
    throw new Error(`the gateway stored ${JSON.stringify(f)}; expected ${size} bytes with SHA-256 ${sha256}`);
  }
  return { id: f.id, downloadUrl: `${grantUrl}/files/${f.id}` };
}

async function describeCopy(g: RunningGateway, linkId: string, grantUrl: string, size: number, sha256: string): Promise<SendCopy> {
  const f = await listedFile(grantUrl, size, sha256);
  const key = `send/${linkId}/${f.id}`;
  if (!existsSync(join(g.gw.dataDir, 'files', key))) {
    throw new Error(`the copy is not at ${join(g.gw.dataDir, 'files', key)}`);
  }
  return { linkId, fileId: f.id, grantUrl, downloadUrl: `${grantUrl}/files/${f.id}`, key };
}

/** Calls the gateway's API as its admin; throws with the answer unless the status is `expect`. */
async function api<T>(g: RunningGateway, method: string, path: string, body: unknown, expect: number): Promise<T> {
  const res = await fetch(`${g.gw.baseUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${g.token}`, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== expect) {
    throw new Error(`${method} ${path}: HTTP ${res.status} (expected ${expect}): ${text.slice(0, 500)}`);
  }
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/** Creates a storage connection; answers its id. */
async function createConnection(g: RunningGateway, body: { name: string; kind: 'local' | 's3' | 'sftp'; settings: object; secrets?: object }): Promise<string> {
  return (await api<{ id: string }>(g, 'POST', '/api/v1/connections', body, 201)).id;
}

/** A file share of `path` on the connection: answers the URL that downloads the file, after checking its size. */
async function createFileShare(g: RunningGateway, connectionId: string, path: string, size: number): Promise<string> {
  const made = await api<{ grants: Array<{ url: string }> }>(g, 'POST', '/api/v1/links', { kind: 'share', connectionId, path }, 201);
  const url = made.grants[0]!.url;
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  const page = (await res.json()) as { files?: Array<{ id: string; size: number }> };
  const f = page.files?.[0];
  if (!f || f.size !== size) {
    throw new Error(`the file share of ${path} lists ${JSON.stringify(page.files)}; expected one file of ${size} bytes`);
  }
  return `${url}/files/${f.id}`;
}

/** A file share of `root/name` on a new local connection whose root is `root`. */
async function createLocalFileShare(g: RunningGateway, root: string, name: string, size: number): Promise<string> {
  const id = await createConnection(g, { name: 'Bench local', kind: 'local', settings: { root } });
  return createFileShare(g, id, `/${name}`, size);
}

// ---------------------------------------------------------------------------------------------
// One size

/** The gateways of one size: on PostgreSQL always, on the embedded PGlite database unless BENCH_PGLITE=0. */
type Db = 'pg' | 'pglite';

interface GatewayMemory {
  /** RSS when idle after start-up, and peaks (VmHWM, reset between phases) by phase, bytes. */
  readonly idle: number;
  readonly start: number;
  readonly upload: number;
  readonly download: number;
  readonly parallel: number;
  readonly overall: number;
}

interface SizeResult {
  readonly size: number;
  readonly figures: Record<string, Figure>;
  /** Peak RSS of each gateway by phase. */
  readonly memory: Partial<Record<Db, GatewayMemory>>;
  /** Peak RSS of the bare Node servers (idle → peak), bytes. */
  readonly rss: Record<string, number>;
  readonly rssTmpfs: number | null;
  readonly peakResettable: boolean;
  readonly notes: string[];
}

/** `items` starting at position `i` (mod length), so that no target always goes first. */
function rotate<T>(items: readonly T[], i: number): T[] {
  return items.map((_, j) => items[(i + j) % items.length]!);
}

async function benchSize(size: number, work: string, nginxBinary: string | null): Promise<SizeResult> {
  const name = sizeName(size);
  const repeat = Math.min(8, Math.max(1, Math.ceil(MIN_BYTES_PER_FIGURE / size)));
  const runs = settings.runs * repeat;
  const samples: Record<string, Sample[]> = {};
  const add = (key: string, s: Sample): void => void (samples[key] ??= []).push(s);
  const notes: string[] = [];
  const rss: Record<string, number> = {};
  const local: Array<() => Promise<void>> = [];
  /** Registers a cleanup for the end of this size, and for an interrupted run. */
  const track = (fn: () => Promise<void> | void): void => {
    const f = once(async () => {
      await fn();
    });
    local.push(f);
    cleanups.push(f);
  };

  // "send" measures everything below; "share" alone only the single downloads of the send link and the file share.
  const full = settings.suites.has('send');
  const withShare = settings.suites.has('share');
  try {
    progress(
      full
        ? `\n== ${name}: ${runs} runs per upload and single download, ${settings.runs} of ${settings.parallel} parallel clients × ${repeat} downloads`
        : `\n== ${name}: ${runs} single downloads of the send link and of the file share`,
    );
    const { path: file, sha256 } = payload(work, size);
    track(() => {
      // The test file of this size is not needed by the next sizes.
      rmSync(file, { force: true });
      payloads.delete(size);
    });

    const gateways: Array<{ db: Db; g: RunningGateway; idle: number; start: number; copy: SendCopy | null }> = [];
    for (const db of full && settings.pglite ? (['pg', 'pglite'] as const) : (['pg'] as const)) {
      const g = await startGateway(`${name.replace(' ', '')}-${db}`, db === 'pg' ? 'postgres' : 'pglite', null, db === 'pg');
      track(g.stop);
      gateways.push({ db, g, idle: statusBytes(g.pid, 'VmRSS') ?? NaN, start: statusBytes(g.pid, 'VmHWM') ?? NaN, copy: null });
      await profilePhase(g, '1-start');
    }
    const peakResettable = gateways.every((x) => resetPeak(x.g.pid));
    const g = gateways[0]!.g;
    const filesDir = join(g.gw.dataDir, 'files');

    // The copy every download reads, uploaded once to each gateway before anything is measured.
    for (const x of gateways) {
      const first = await uploadToGateway(x.g, file, size);
      x.copy = await describeCopy(x.g, first.linkId, first.grantUrl, size, sha256);
    }
    syncDisks();
    const pgCopy = gateways[0]!.copy!;
    // The file share: a local connection whose root holds the test file itself (a hard link to it,
    // in the page cache like the send copy). The send copy's own folder cannot be the root: no
    // connection may expose the gateway's data directory.
    let shareUrl: string | null = null;
    if (withShare) {
      const shareRoot = mkdtempSync(join(work, 'share-'));
      track(() => rmSync(shareRoot, { recursive: true, force: true }));
      linkSync(file, join(shareRoot, 'bench.bin'));
      shareUrl = await createLocalFileShare(g, shareRoot, 'bench.bin', size);
    }
    const rawUpload = async (url: string, written: string | null): Promise<Timed> => {
      const { transfer, body } = await uploadRaw(url, file, size);
      assertHash(body, sha256);
      if (written) {
        unlinkSync(written);
      }
      return { bytes: size, seconds: transfer.seconds };
    };
    if (full) {
      const up = await startChildServer('bare-upload', [work]);
      track(() => up.stop());
      rss.nodeUpIdle = statusBytes(up.pid, 'VmRSS') ?? NaN;

      // Uploads: the gateways and the baselines take turns, in a rotating order.
      progress('  uploads');
      await rawUpload(`${up.url}/sink`, null); // warm-up
      const uploads: Array<{ key: string; pids: () => number[]; run: () => Promise<Timed>; gateway?: string }> = [
        ...gateways.map((x) => ({
          key: `up.${x.db}.disk`,
          pids: () => [x.g.pid],
          run: async () => (await uploadToGateway(x.g, file, size)).timed,
          gateway: x.g.gw.metricsUrl,
        })),
        { key: 'up.node.disk', pids: () => [up.pid], run: () => rawUpload(`${up.url}/disk/upload.bin`, join(work, 'upload.bin')) },
        { key: 'up.node.sink', pids: () => [up.pid], run: () => rawUpload(`${up.url}/sink`, null) },
      ];
      for (let i = 0; i < runs; i++) {
        for (const u of rotate(uploads, i)) {
          add(u.key, await measure(u.pids, u.run, u.gateway));
          syncDisks();
        }
      }
      rss.nodeUpPeak = statusBytes(up.pid, 'VmHWM') ?? NaN;
    }
    const uploadPeak = new Map(gateways.map((x) => [x.db, statusBytes(x.g.pid, 'VmHWM') ?? NaN]));
    await profilePhase(g, '2-upload');

    // Downloads: the same bytes from the same file (the PostgreSQL gateway's copy) through bare Node,
    // nginx and the file share; each gateway serves its own copy of the same bytes.
    const baselines: Array<{ key: string; url: string; pids: () => number[] }> = [];
    let dlPid = 0;
    if (full) {
      const dl = await startChildServer('bare-download', [filesDir]);
      track(() => dl.stop());
      rss.nodeDownIdle = statusBytes(dl.pid, 'VmRSS') ?? NaN;
      baselines.push({ key: 'node', url: `${dl.url}/${pgCopy.key}`, pids: () => [dl.pid] });
      dlPid = dl.pid;
      if (nginxBinary) {
        const nginx = await startNginx(nginxBinary, filesDir);
        track(() => nginx.stop());
        baselines.push({ key: 'nginx', url: `${nginx.url}/${pgCopy.key}`, pids: () => nginx.pids() });
      }
    }
    const targets: Array<{ key: string; url: string; pids: () => number[]; gateway?: string }> = [
      ...gateways.map((x) => ({ key: x.db, url: x.copy!.downloadUrl, pids: () => [x.g.pid], gateway: x.g.gw.metricsUrl })),
      ...(shareUrl ? [{ key: 'share', url: shareUrl, pids: () => [g.pid], gateway: g.gw.metricsUrl }] : []),
      ...baselines,
    ];
    progress('  single downloads');
    for (const t of targets) {
      await download(t.url, size); // warm-up: page cache, connections, JIT
    }
    if (peakResettable) {
      gateways.forEach((x) => resetPeak(x.g.pid));
    }
    for (let i = 0; i < runs; i++) {
      for (const t of rotate(targets, i)) {
        add(
          `dl1.${t.key}`,
          await measure(
            t.pids,
            async () => {
              const [tr] = await download(t.url, size);
              return { bytes: tr!.bytes, seconds: tr!.seconds, firstByte: tr!.firstByte };
            },
            t.gateway,
          ),
        );
      }
    }
    const downloadPeak = new Map(gateways.map((x) => [x.db, statusBytes(x.g.pid, 'VmHWM') ?? NaN]));
    await profilePhase(g, '3-download');

    if (full) {
      progress(`  ${settings.parallel} parallel downloads`);
      if (peakResettable) {
        gateways.forEach((x) => resetPeak(x.g.pid));
      }
      const parallelTargets = targets.filter((t) => t.key !== 'share');
      for (let i = 0; i < settings.runs; i++) {
        for (const t of rotate(parallelTargets, i)) {
          add(`dl${settings.parallel}.${t.key}`, await measure(t.pids, () => parallelDownload(t.url, size, settings.parallel, repeat), t.gateway));
        }
      }
      rss.nodeDownPeak = statusBytes(dlPid, 'VmHWM') ?? NaN;
    }
    const parallelPeak = new Map(gateways.map((x) => [x.db, statusBytes(x.g.pid, 'VmHWM') ?? NaN]));
    await profilePhase(g, '4-parallel');
    const memory: Partial<Record<Db, GatewayMemory>> = {};
    for (const x of full ? gateways : []) {
      const m = { idle: x.idle, start: x.start, upload: uploadPeak.get(x.db)!, download: downloadPeak.get(x.db)!, parallel: parallelPeak.get(x.db)! };
      memory[x.db] = { ...m, overall: Math.max(m.start, m.upload, m.download, m.parallel) };
    }
    if (!peakResettable) {
      notes.push('The kernel does not let the peak RSS be reset here: every phase shows the peak since start-up.');
    }
    // The gateways are stopped before the tmpfs run: their memory and CPU are not the tmpfs gateway's.
    for (const x of gateways) {
      await x.g.stop();
    }

    // Uploads into tmpfs: the same comparison without the disk.
    let rssTmpfs: number | null = null;
    const shm = '/dev/shm';
    if (!full) {
      // Nothing to compare into tmpfs.
    } else if (settings.tmpfs && existsSync(shm) && freeBytes(shm) > (runs + 2) * size * 2 + GiB) {
      progress('  uploads into tmpfs');
      const shmDir = mkdtempSync(join(shm, 'mft-bench-'));
      track(() => rmSync(shmDir, { recursive: true, force: true }));
      const gt = await startGateway(`${name.replace(' ', '')}-tmpfs`, 'postgres', shmDir);
      track(gt.stop);
      const upShmDir = join(shmDir, 'bare');
      mkdirSync(upShmDir);
      const upShm = await startChildServer('bare-upload', [upShmDir]);
      track(() => upShm.stop());
      await uploadToGateway(gt, file, size); // warm-up
      const shmUploads: Array<{ key: string; pids: () => number[]; run: () => Promise<Timed>; gateway?: string }> = [
        {
          key: 'up.pg.tmpfs',
          pids: () => [gt.pid],
          run: async () => (await uploadToGateway(gt, file, size)).timed,
          gateway: gt.gw.metricsUrl,
        },
        { key: 'up.node.tmpfs', pids: () => [upShm.pid], run: () => rawUpload(`${upShm.url}/disk/upload.bin`, join(upShmDir, 'upload.bin')) },
      ];
      for (let i = 0; i < runs; i++) {
        for (const u of rotate(shmUploads, i)) {
          add(u.key, await measure(u.pids, u.run, u.gateway));
        }
      }
      rssTmpfs = statusBytes(gt.pid, 'VmHWM');
    } else if (settings.tmpfs) {
      notes.push('Uploads into tmpfs skipped: /dev/shm is missing or too small.');
    }

    const figures: Record<string, Figure> = {};
    for (const [k, v] of Object.entries(samples)) {
      figures[k] = figure(v);
    }
    return { size, figures, memory, rss, rssTmpfs, peakResettable, notes };
  } finally {
    for (const fn of local.reverse()) {
      await Promise.resolve()
        .then(fn)
        .catch((err: unknown) => progress(`  cleanup: ${String(err)}`));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Remote storage: S3 and SFTP connections

/**
 * The S3 driver's defaults (DEFAULT_PART_SIZE and DEFAULT_QUEUE_SIZE in
 * libs/storage/src/drivers/s3.driver.ts, used as they are for objects up to 80 GiB): the gateway
 * uploads a send copy in parts of this size, this many at once; the bare client does the same.
 */
const S3_PART_SIZE = 8 * MiB;
const S3_QUEUE_SIZE = 4;
/** What one S3 upload may add to the gateway's resting RSS: the parts in flight plus 64 MiB. */
const S3_UPLOAD_BUDGET = S3_QUEUE_SIZE * S3_PART_SIZE + 64 * MiB;

interface RemoteResult {
  readonly kind: 's3' | 'sftp' | 'tus';
  readonly size: number;
  readonly figures: Record<string, Figure>;
  /** S3: the gateway's RSS just before its first upload, and its peak (VmHWM) over all its uploads, bytes. */
  readonly rssBefore: number;
  readonly rssPeak: number;
  readonly notes: string[];
}

/** Cleanups for the end of one suite and size, also run for an interrupted run. */
function cleanupScope(): { track: (fn: () => Promise<void> | void) => void; close: () => Promise<void> } {
  const local: Array<() => Promise<void>> = [];
  return {
    track: (fn) => {
      const f = once(async () => {
        await fn();
      });
      local.push(f);
      cleanups.push(f);
    },
    close: async () => {
      for (const fn of local.reverse()) {
        await Promise.resolve()
          .then(fn)
          .catch((err: unknown) => progress(`  cleanup: ${String(err)}`));
      }
    },
  };
}

/**
 * Send copies in S3: a gateway whose send storage is an S3 connection to an s3rver of the
 * benchmark's own, against a bare lib-storage `Upload` and a bare `GetObject` of the same file on
 * the same server. CPU per GiB is the gateway's (or the bare client's) plus s3rver's.
 */
async function benchS3(size: number, work: string): Promise<RemoteResult> {
  const name = sizeName(size);
  const runs = settings.runs * Math.min(8, Math.max(1, Math.ceil(MIN_BYTES_PER_FIGURE / size)));
  const samples: Record<string, Sample[]> = {};
  const add = (key: string, s: Sample): void => void (samples[key] ??= []).push(s);
  const notes: string[] = [];
  const { track, close } = cleanupScope();
  try {
    progress(`\n== S3, ${name}: ${runs} runs per upload and download`);
    const { path: file, sha256 } = payload(work, size);
    track(() => {
      rmSync(file, { force: true });
      payloads.delete(size);
    });
    const store = await startChild<{ port: number; bucket: string; directory: string }>('s3-store', []);
    track(() => store.stop());
    const endpoint = `http://127.0.0.1:${store.ready.port}`;
    const bucket = store.ready.bucket;
    const bare = await startChild<{ ready: boolean }>('bare-s3', [endpoint, bucket, String(S3_PART_SIZE), String(S3_QUEUE_SIZE)]);
    track(() => bare.stop());
    const g = await startGateway(`s3-${name.replace(' ', '')}`, 'postgres', null);
    track(g.stop);
    const connectionId = await createConnection(g, s3ConnectionBody({ endpoint, bucket }, { name: 'Bench S3', prefix: 'mft' }));
    await api(g, 'PUT', '/api/v1/settings/send-storage', { connectionId }, 200);

    const rssBefore = statusBytes(g.pid, 'VmRSS') ?? NaN;
    if (!resetPeak(g.pid)) {
      notes.push('S3: the kernel does not let the peak RSS be reset here: the S3 upload peak is the peak since start-up.');
    }
    // Warm-up, untimed: the copy the downloads read, and one bare upload.
    const first = await uploadToGateway(g, file, size);
    const copy = await listedFile(first.grantUrl, size, sha256);
    const copyKey = `mft/send/${first.linkId}/${copy.id}`;
    const bareKey = 'bare/upload.bin';
    await bare.request<Timed>({ op: 'upload', key: bareKey, file });
    syncDisks();

    progress('  uploads');
    const uploads: Array<{ key: string; pids: () => number[]; run: () => Promise<Timed>; gateway?: string }> = [
      { key: 's3.up.gw', pids: () => [g.pid, store.pid], run: async () => (await uploadToGateway(g, file, size)).timed, gateway: g.gw.metricsUrl },
      { key: 's3.up.bare', pids: () => [bare.pid, store.pid], run: () => bare.request<Timed>({ op: 'upload', key: bareKey, file }) },
    ];
    for (let i = 0; i < runs; i++) {
      for (const u of rotate(uploads, i)) {
        add(u.key, await measure(u.pids, u.run, u.gateway));
        syncDisks();
      }
    }
    const rssPeak = statusBytes(g.pid, 'VmHWM') ?? NaN;

    progress('  downloads');
    const downloads: Array<{ key: string; pids: () => number[]; run: () => Promise<Timed>; gateway?: string }> = [
      {
        key: 's3.dl.gw',
        pids: () => [g.pid, store.pid],
        run: async () => {
          const [t] = await download(copy.downloadUrl, size);
          return { bytes: t!.bytes, seconds: t!.seconds, firstByte: t!.firstByte };
        },
        gateway: g.gw.metricsUrl,
      },
      { key: 's3.dl.bare', pids: () => [bare.pid, store.pid], run: () => bare.request<Timed>({ op: 'download', key: copyKey, size }) },
    ];
    for (const d of downloads) {
      await d.run(); // warm-up
    }
    for (let i = 0; i < runs; i++) {
      for (const d of rotate(downloads, i)) {
        add(d.key, await measure(d.pids, d.run, d.gateway));
      }
    }
    return { kind: 's3', size, figures: figures(samples), rssBefore, rssPeak, notes };
  } finally {
    await close();
  }
}

/**
 * A file share on an SFTP connection to an OpenSSH sshd of the benchmark's own, against OpenSSH's
 * `sftp` client fetching the same file from the same sshd. CPU per GiB is the gateway's, or the
 * sftp client's and its ssh's; sshd's is in neither.
 */
async function benchSftp(size: number, work: string): Promise<RemoteResult> {
  const name = sizeName(size);
  const runs = settings.runs * Math.min(8, Math.max(1, Math.ceil(MIN_BYTES_PER_FIGURE / size)));
  const samples: Record<string, Sample[]> = {};
  const add = (key: string, s: Sample): void => void (samples[key] ??= []).push(s);
  const { track, close } = cleanupScope();
  try {
    progress(`\n== SFTP, ${name}: ${runs} downloads each`);
    const sshd = await SshServer.start();
    track(() => sshd.close());
    const root = mkdtempSync(join(sshd.dir, 'root-'));
    const remote = join(root, 'bench.bin');
    progress(`  writing ${name} of random bytes`);
    makeFile(remote, size);
    const g = await startGateway(`sftp-${name.replace(' ', '')}`, 'postgres', null);
    track(g.stop);
    const connectionId = await createConnection(g, sftpConnectionBody(sshd, root, { name: 'Bench SFTP' }));
    const url = await createFileShare(g, connectionId, '/bench.bin', size);
    const clientDir = mkdtempSync(join(work, 'sftp-'));
    track(() => rmSync(clientDir, { recursive: true, force: true }));
    const client = await startSftpClient({ port: sshd.port, username: sshd.username, dir: sshd.dir }, clientDir);
    track(() => client.stop());

    const downloads: Array<{ key: string; pids: () => number[]; run: () => Promise<Timed>; gateway?: string }> = [
      {
        key: 'sftp.dl.gw',
        pids: () => [g.pid],
        run: async () => {
          const [t] = await download(url, size);
          return { bytes: t!.bytes, seconds: t!.seconds, firstByte: t!.firstByte };
        },
        gateway: g.gw.metricsUrl,
      },
      { key: 'sftp.dl.bare', pids: () => [client.masterPid], run: () => client.get(remote, size) },
    ];
    progress('  downloads');
    for (const d of downloads) {
      await d.run(); // warm-up: page cache, the pooled connection, JIT
    }
    for (let i = 0; i < runs; i++) {
      for (const d of rotate(downloads, i)) {
        add(d.key, await measure(d.pids, d.run, d.gateway));
      }
    }
    return { kind: 'sftp', size, figures: figures(samples), rssBefore: NaN, rssPeak: NaN, notes: [] };
  } finally {
    await close();
  }
}

/**
 * A resumable upload: tus-js-client (in this process) PATCHes the file in chunks, then a send link
 * is made of the upload; against curl's multipart upload of the same file into a send link, on the
 * same gateway. Both figures run to the created link, so the tus one includes moving the upload's
 * segments into the link's copy. The gateway's RSS is sampled around the uploads.
 */
async function benchTus(size: number, work: string): Promise<RemoteResult> {
  const name = sizeName(size);
  const runs = settings.runs * Math.min(8, Math.max(1, Math.ceil(MIN_BYTES_PER_FIGURE / size)));
  const samples: Record<string, Sample[]> = {};
  const add = (key: string, s: Sample): void => void (samples[key] ??= []).push(s);
  const notes: string[] = [];
  const { track, close } = cleanupScope();
  try {
    progress(`\n== tus, ${name}: ${runs} uploads each, ${chunkName()} per PATCH`);
    const { path: file } = payload(work, size);
    track(() => {
      rmSync(file, { force: true });
      payloads.delete(size);
    });
    const g = await startGateway(`tus-${name.replace(' ', '')}`, 'postgres', null);
    track(g.stop);
    const endpoint = `${g.gw.baseUrl}/api/v1/uploads`;
    const viaTus = async (): Promise<Timed> => {
      const t0 = performance.now();
      const up = await tusUpload(endpoint, g.token, file, size, settings.tusChunk);
      const created = await api<{ id: string }>(g, 'POST', '/api/v1/links', { kind: 'send', uploads: [up.uploadId] }, 201);
      await api(g, 'DELETE', `/api/v1/links/${created.id}`, undefined, 204);
      return { bytes: size, seconds: (performance.now() - t0) / 1000 };
    };
    const viaMultipart = async (): Promise<Timed> => {
      const up = await uploadToGateway(g, file, size);
      await api(g, 'DELETE', `/api/v1/links/${up.linkId}`, undefined, 204);
      return up.timed;
    };
    // Warm-up, untimed.
    await viaTus();
    await viaMultipart();
    syncDisks();
    const rssBefore = statusBytes(g.pid, 'VmRSS') ?? NaN;
    if (!resetPeak(g.pid)) {
      notes.push('tus: the kernel does not let the peak RSS be reset here: the upload peak is the peak since start-up.');
    }
    const uploads: Array<{ key: string; run: () => Promise<Timed> }> = [
      { key: 'tus.up.gw', run: viaTus },
      { key: 'tus.up.multipart', run: viaMultipart },
    ];
    for (let i = 0; i < runs; i++) {
      for (const u of rotate(uploads, i)) {
        add(u.key, await measure(() => [g.pid], u.run, g.gw.metricsUrl));
        syncDisks();
      }
    }
    const rssPeak = statusBytes(g.pid, 'VmHWM') ?? NaN;
    return { kind: 'tus', size, figures: figures(samples), rssBefore, rssPeak, notes };
  } finally {
    await close();
  }
}

// ---------------------------------------------------------------------------------------------
// The SFTP ingress against OpenSSH's sshd

const INGRESS_CIPHERS = ['aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com'] as const;
/** The cipher of the concurrent sessions. */
const SESSIONS_CIPHER = INGRESS_CIPHERS[0];
/** What each concurrent session gets. */
const SESSION_FILE_SIZE = 64 * MiB;
const HEALTH_INTERVAL_MS = 50;
const HEALTH_P99_TARGET_MS = 50;

interface IngressResult {
  readonly sizes: number[];
  /** `ingress.<get|put>.<gw|ssh>.<cipher>.<size>` and `ingress.sessions.<gw|ssh>`. */
  readonly figures: Record<string, Figure>;
  readonly sessions: number;
  /**
   * /healthz round trips (ms) polled every 50 ms from a process of its own during the concurrent
   * sessions, by side served; failures counted apart; lateP99: how late the poller's own timers fired.
   */
  readonly health: Record<'gw' | 'ssh', { readonly p50: number; readonly p99: number; readonly max: number; readonly samples: number; readonly failed: number; readonly lateP99: number }>;
  /** Gateway RSS (bytes): idle before the transfers, peak (VmHWM) over the single transfers, then before and peak over the concurrent sessions. */
  readonly rss: { readonly idle: number; readonly singlePeak: number; readonly sessionsBefore: number; readonly sessionsPeak: number };
  /** Whether the ingress ran in a process of its own (then CPU is both processes', RSS the ingress process's). */
  readonly separate: boolean;
  readonly notes: string[];
}

const cipherName = (c: string): string => c.replace('@openssh.com', '');

/** The /healthz poller child (bench/servers/health-poller.ts): polls between start and stop. */
type HealthPoller = ChildWorker<{ ready: true }>;
interface HealthSamples {
  ms: number[];
  failed: number;
  lateMs: number[];
}

const percentile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};

/** SHA-256 of a file, read in 8 MiB pieces. */
function sha256Of(path: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(8 * MiB);
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null)) {
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** The pid a daemon wrote to `path` (sshd writes it just after it listens), waiting for it up to 10 s. */
async function pidFile(path: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pid = existsSync(path) ? Number(readFileSync(path, 'utf8').trim()) : NaN;
    if (Number.isInteger(pid) && pid > 0) {
      return pid;
    }
    if (Date.now() > deadline) {
      throw new Error(`no pid in ${path}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until sshd's listener has no process below it (every session ended and reaped), at most 10 s. */
async function sshdSettled(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (descendantsOf(pid).length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The SFTP ingress: a gateway on PostgreSQL with `SFTP_PORT`, a local connection "Bench" whose one
 * share root `/` grants employees write, and an employee `bench` with an SSH key; against
 * OpenSSH's sshd (`SshServer`, internal-sftp) serving the same folder by absolute path. The same
 * OpenSSH `sftp` client, a new connection per transfer, the cipher given with `-o Ciphers=`.
 * Gets go to /dev/null; puts write `put-gw.bin` / `put-ssh.bin` into the folder (ext4 under /tmp),
 * checked for their size and removed after each run, `sync` outside the timed window. CPU per GiB
 * is the gateway's, or sshd's listener with every session process it reaped; the client's is in
 * neither. Then `sessions` clients at once each get the same 64 MiB file, while /healthz is polled.
 */
async function benchIngress(work: string): Promise<IngressResult> {
  const samples: Record<string, Sample[]> = {};
  const add = (key: string, s: Sample): void => void (samples[key] ??= []).push(s);
  const notes: string[] = [];
  const sessions = settings.ingressSessions;
  const { track, close } = cleanupScope();
  try {
    progress(`\n== SFTP ingress: get and put of ${settings.ingressSizes.map(sizeName).join(', ')} with ${INGRESS_CIPHERS.map(cipherName).join(' and ')}; ${settings.runs} runs of ${sessions} sessions × ${sizeName(SESSION_FILE_SIZE)}`);
    const root = mkdtempSync(join(work, 'ingress-root-'));
    track(() => rmSync(root, { recursive: true, force: true }));

    // OpenSSH: the harness's sshd, reaching the folder by its absolute path.
    const sshd = await SshServer.start();
    track(() => sshd.close());
    const sshdPid = await pidFile(join(sshd.dir, 'sshd.pid'));
    const sshKnownHosts = join(work, `known_hosts-sshd-${sshd.port}`);
    writeFileSync(sshKnownHosts, `[127.0.0.1]:${sshd.port} ${readFileSync(join(sshd.dir, 'host_ed25519.pub'), 'utf8')}`);
    const ssh: SftpEndpoint = { port: sshd.port, username: sshd.username, privateKeyFile: join(sshd.dir, 'client_ed25519'), knownHostsFile: sshKnownHosts };

    // The gateway: every session comes from 127.0.0.1 as one user, so the per-address connection
    // cap and the sign-in budgets (attempts are counted before they are given back) are raised.
    const g = await startGateway('ingress', 'postgres', null, true, {
      env: { SFTP_PORT: 'auto', SFTP_MAX_CONNECTIONS_PER_IP: String(sessions * 2 + 8) },
      config: ['rateLimits:', '  loginPerIp: { max: 100000, windowSeconds: 900 }', '  loginPerUser: { max: 100000, windowSeconds: 900 }'],
    });
    track(g.stop);
    // On PostgreSQL the ingress runs in a process of its own (sftp.process auto): its CPU counts
    // with the gateway's, and its RSS is the one reported.
    const ingressPid = g.gw.ingressPid;
    const servingPids = ingressPid === null ? [g.pid] : [g.pid, ingressPid];
    const rssPid = ingressPid ?? g.pid;
    await profilePhase(g, '1-start');
    await createConnection(g, { name: 'Bench', kind: 'local', settings: { root, shareRoots: [{ path: '/', roles: ['employee'], write: true }] } });
    await g.gw.cli('user', 'add', '--user', 'bench', '--roles', 'employee', '--email', 'bench@bench.example');
    const benchToken = await g.gw.token('bench');
    const key = generateClientKey('ed25519');
    track(() => rmSync(dirname(key.privateKeyFile), { recursive: true, force: true }));
    const added = await fetch(`${g.gw.baseUrl}/api/v1/me/ssh-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${benchToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', publicKey: key.publicKey }),
    });
    if (added.status !== 201) {
      throw new Error(`POST /api/v1/me/ssh-keys: HTTP ${added.status}: ${(await added.text()).slice(0, 500)}`);
    }
    const hostKeys = (await (await fetch(`${g.gw.baseUrl}/api/v1/sftp/host-key`)).json()) as { keys: Array<{ publicKey: string }> };
    const gwKnownHosts = join(work, `known_hosts-gateway-${g.gw.sftpPort}`);
    writeFileSync(gwKnownHosts, hostKeys.keys.map((k) => `[127.0.0.1]:${g.gw.sftpPort} ${k.publicKey}\n`).join(''));
    const gw: SftpEndpoint = { port: g.gw.sftpPort, username: 'bench', privateKeyFile: key.privateKeyFile, knownHostsFile: gwKnownHosts };

    /** Where each side finds the folder. */
    const sides = [
      { side: 'gw' as const, e: gw, dir: '/Bench', pids: () => servingPids, gateway: g.gw.metricsUrl },
      { side: 'ssh' as const, e: ssh, dir: root, pids: () => [] as number[], gateway: undefined },
    ];
    type Side = (typeof sides)[number];
    /** One timed sftp batch on `s`; for sshd, its CPU once the session's processes are reaped. */
    const timed = async (s: Side, cipher: string, bytes: number, commands: string[]): Promise<Timed> => {
      if (s.side === 'gw') {
        return { bytes, seconds: await sftpBatch(s.e, cipher, commands) };
      }
      await sshdSettled(sshdPid);
      const cpu0 = cpuSecondsWithChildren(sshdPid);
      const seconds = await sftpBatch(s.e, cipher, commands);
      await sshdSettled(sshdPid);
      return { bytes, seconds, cpu: cpuSecondsWithChildren(sshdPid) - cpu0 };
    };
    const putName = (s: Side): string => `put-${s.side}.bin`;
    const checkPut = (s: Side, size: number, sha256: string | null): void => {
      const written = join(root, putName(s));
      const got = existsSync(written) ? statSync(written).size : -1;
      if (got !== size) {
        throw new Error(`a put through ${s.side === 'gw' ? 'the gateway' : 'sshd'} left ${got} bytes at ${written}; expected ${size}`);
      }
      if (sha256 !== null && sha256Of(written) !== sha256) {
        throw new Error(`a put through ${s.side === 'gw' ? 'the gateway' : 'sshd'} wrote other bytes than it was sent`);
      }
      unlinkSync(written);
    };

    const idle = statusBytes(rssPid, 'VmRSS') ?? NaN;
    if (!resetPeak(rssPid)) {
      notes.push('SFTP ingress: the kernel does not let the peak RSS be reset here: each peak is the peak since start-up.');
    }
    for (const size of settings.ingressSizes) {
      const name = sizeName(size);
      const { path: file, sha256 } = payload(work, size);
      const served = `get-${size}.bin`;
      linkSync(file, join(root, served));
      // Warm-up, untimed and checked: a get of the gateway into a file, a put through each side.
      progress(`  ${name}: warm-up`);
      const copy = join(work, 'ingress-get.bin');
      await sftpBatch(gw, INGRESS_CIPHERS[0], [`get /Bench/${served} ${copy}`]);
      if (sha256Of(copy) !== sha256) {
        throw new Error(`a get of /Bench/${served} through the gateway answered other bytes than the file holds`);
      }
      unlinkSync(copy);
      await sftpBatch(ssh, INGRESS_CIPHERS[0], [`get ${root}/${served} /dev/null`]);
      for (const s of sides) {
        await sftpBatch(s.e, INGRESS_CIPHERS[0], [`put ${file} ${s.dir}/${putName(s)}`]);
        checkPut(s, size, sha256);
      }
      syncDisks();
      const runs = settings.runs * Math.min(8, Math.max(1, Math.ceil(MIN_BYTES_PER_FIGURE / size)));
      for (const cipher of INGRESS_CIPHERS) {
        progress(`  ${name}, ${cipherName(cipher)}: ${runs} gets and puts each`);
        for (let i = 0; i < runs; i++) {
          for (const s of rotate(sides, i)) {
            add(`ingress.get.${s.side}.${cipher}.${size}`, await measure(s.pids, () => timed(s, cipher, size, [`get ${s.dir}/${served} /dev/null`]), s.gateway));
          }
          for (const s of rotate(sides, i)) {
            add(`ingress.put.${s.side}.${cipher}.${size}`, await measure(s.pids, () => timed(s, cipher, size, [`put ${file} ${s.dir}/${putName(s)}`]), s.gateway));
            checkPut(s, size, null);
            syncDisks();
          }
        }
      }
      rmSync(join(root, served));
      rmSync(file, { force: true });
      payloads.delete(size);
    }
    const singlePeak = statusBytes(rssPid, 'VmHWM') ?? NaN;
    await profilePhase(g, '2-get-put');

    // Concurrent sessions: each client a connection of its own, all started together; aggregate = every byte ÷ wall time.
    progress(`  ${sessions} concurrent sessions × ${sizeName(SESSION_FILE_SIZE)}, ${cipherName(SESSIONS_CIPHER)}`);
    const sessionFile = 'sessions.bin';
    makeFile(join(root, sessionFile), SESSION_FILE_SIZE);
    const together = async (s: Side): Promise<Timed> => {
      const t0 = performance.now();
      await Promise.all(Array.from({ length: sessions }, () => sftpBatch(s.e, SESSIONS_CIPHER, [`get ${s.dir}/${sessionFile} /dev/null`])));
      return { bytes: sessions * SESSION_FILE_SIZE, seconds: (performance.now() - t0) / 1000 };
    };
    const concurrent = async (s: Side): Promise<Timed> => {
      if (s.side === 'gw') {
        return together(s);
      }
      await sshdSettled(sshdPid);
      const cpu0 = cpuSecondsWithChildren(sshdPid);
      const t = await together(s);
      await sshdSettled(sshdPid);
      return { ...t, cpu: cpuSecondsWithChildren(sshdPid) - cpu0 };
    };
    for (const s of sides) {
      await sftpBatch(s.e, SESSIONS_CIPHER, [`get ${s.dir}/${sessionFile} /dev/null`]); // warm-up
    }
    const sessionsBefore = statusBytes(rssPid, 'VmRSS') ?? NaN;
    resetPeak(rssPid);
    const health: Record<'gw' | 'ssh', HealthSamples> = { gw: { ms: [], failed: 0, lateMs: [] }, ssh: { ms: [], failed: 0, lateMs: [] } };
    // The poller is a process of its own: this one runs and watches 32 clients, and its own lag is not the gateway's.
    const poller: HealthPoller = await startChild('health-poller', [`${g.gw.baseUrl}/healthz`, String(HEALTH_INTERVAL_MS)]);
    try {
      for (let i = 0; i < settings.runs; i++) {
        for (const s of rotate(sides, i)) {
          await poller.request({ op: 'start' });
          try {
            add(`ingress.sessions.${s.side}`, await measure(s.pids, () => concurrent(s), s.gateway));
          } finally {
            const h = await poller.request<HealthSamples>({ op: 'stop' });
            health[s.side].ms.push(...h.ms);
            health[s.side].failed += h.failed;
            health[s.side].lateMs.push(...h.lateMs);
          }
        }
      }
    } finally {
      await poller.stop();
    }
    const sessionsPeak = statusBytes(rssPid, 'VmHWM') ?? NaN;
    await profilePhase(g, '3-sessions');
    const summary = (h: HealthSamples): IngressResult['health']['gw'] => ({
      p50: percentile(h.ms, 0.5),
      p99: percentile(h.ms, 0.99),
      max: h.ms.length ? Math.max(...h.ms) : NaN,
      samples: h.ms.length,
      failed: h.failed,
      lateP99: percentile(h.lateMs, 0.99),
    });
    return {
      sizes: settings.ingressSizes,
      figures: figures(samples),
      sessions,
      health: { gw: summary(health.gw), ssh: summary(health.ssh) },
      rss: { idle, singlePeak, sessionsBefore, sessionsPeak },
      separate: ingressPid !== null,
      notes,
    };
  } finally {
    await close();
  }
}

const chunkName = (): string => (Number.isFinite(settings.tusChunk) ? sizeName(settings.tusChunk) : 'the whole file');

function figures(samples: Record<string, Sample[]>): Record<string, Figure> {
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, figure(v)]));
}

function assertHash(body: string, sha256: string): void {
  const got = (JSON.parse(body) as { sha256: string }).sha256;
  if (got !== sha256) {
    throw new Error(`the bare upload server hashed ${got}, expected ${sha256}`);
  }
}

function freeBytes(path: string): number {
  const s = statfsSync(path);
  return s.bavail * s.bsize;
}

// ---------------------------------------------------------------------------------------------
// Report

const mib = (bytes: number): string => (Number.isFinite(bytes) ? (bytes / MiB).toFixed(0) : 'n/a');

const COL = 30;
const LABEL = 46;

/** A throughput cell: MiB/s median (min–max) · CPU s/GiB · host cores busy. */
const throughputCell = (f: Figure | undefined): string =>
  f ? `${f.mibps.toFixed(0)} (${f.min.toFixed(0)}–${f.max.toFixed(0)}) · ${f.cpuPerGiB.toFixed(2)} · ${f.hostCores.toFixed(1)}` : 'n/a';

/** A ratio against its bounds: `0.93× ✓`, `0.61× ✗`, or `1.20×` for information only. */
const mark = (v: number, min: number | null, max: number | null = null): string =>
  !Number.isFinite(v) ? 'n/a' : `${v.toFixed(2)}×${min === null && max === null ? '  ' : (min === null || v >= min) && (max === null || v <= max) ? ' ✓' : ' ✗'}`;

function report(results: SizeResult[], remote: RemoteResult[], ingress: IngressResult | null, header: string[]): string {
  const out: string[] = [...header];
  if (results.length > 0) {
    out.push('', ...sendReport(results));
  }
  for (const kind of ['s3', 'sftp', 'tus'] as const) {
    const rs = remote.filter((r) => r.kind === kind);
    if (rs.length > 0) {
      out.push('', ...remoteReport(kind, rs));
    }
  }
  if (ingress) {
    out.push('', ...ingressReport(ingress));
  }
  const notes = [...new Set([...results.flatMap((r) => r.notes), ...remote.flatMap((r) => r.notes), ...(ingress?.notes ?? [])])];
  if (notes.length > 0) {
    out.push('');
    out.push(...notes);
  }
  return out.join('\n');
}

function remoteReport(kind: 's3' | 'sftp' | 'tus', results: RemoteResult[]): string[] {
  const out: string[] = [];
  const sizesRow = pad('', LABEL) + results.map((r) => lpad(sizeName(r.size), COL)).join('');
  const row = (name: string, cells: (r: RemoteResult) => string): string => pad(name, LABEL) + results.map((r) => lpad(cells(r), COL)).join('');
  const ratio = (r: RemoteResult, a: string, b: string): number => (r.figures[a] && r.figures[b] ? r.figures[a].mibps / r.figures[b].mibps : NaN);
  if (kind === 's3') {
    out.push('S3 (s3rver on loopback, objects on disk): MiB/s median (min–max) · CPU s/GiB of the gateway or the bare client, plus s3rver · host cores busy');
    out.push(sizesRow);
    out.push('upload (1 client)');
    out.push(row('  gateway, multipart → send copy in S3', (r) => throughputCell(r.figures['s3.up.gw'])));
    out.push(row(`  bare lib-storage Upload (${S3_PART_SIZE / MiB} MiB × ${S3_QUEUE_SIZE})`, (r) => throughputCell(r.figures['s3.up.bare'])));
    out.push('download (1 client)');
    out.push(row('  gateway, send copy in S3', (r) => throughputCell(r.figures['s3.dl.gw'])));
    out.push(row('  bare GetObject → /dev/null', (r) => throughputCell(r.figures['s3.dl.bare'])));
    out.push(row('1 download, time to first byte (ms)', (r) => ['s3.dl.gw', 's3.dl.bare'].map((k) => r.figures[k]?.firstByteMs.toFixed(1) ?? 'n/a').join(' / ')));
    out.push(pad('  (gateway / bare GetObject)', LABEL));
    out.push('Targets');
    out.push(row('S3 upload, gateway ÷ bare Upload       ≥ 0.70', (r) => mark(ratio(r, 's3.up.gw', 's3.up.bare'), 0.7)));
    out.push(row('S3 download, gateway ÷ bare GetObject  ≥ 0.70', (r) => mark(ratio(r, 's3.dl.gw', 's3.dl.bare'), 0.7)));
    out.push(row('gateway RSS before the S3 uploads, MiB', (r) => mib(r.rssBefore)));
    out.push(row('gateway peak RSS in S3 uploads (VmHWM)', (r) => `${mib(r.rssPeak)} MiB`));
    const growth = (r: RemoteResult): number => r.rssPeak - r.rssBefore;
    out.push(
      row(`  growth ≤ queue × part + 64 = ${S3_UPLOAD_BUDGET / MiB} MiB`, (r) =>
        Number.isFinite(growth(r)) ? `${mib(growth(r))} MiB ${growth(r) <= S3_UPLOAD_BUDGET ? '✓' : '✗'}` : 'n/a',
      ),
    );
  } else if (kind === 'tus') {
    out.push(`tus 1.0 upload (tus-js-client ${TUS_CLIENT_VERSION} in the benchmark process, ${chunkName()} per PATCH) against a multipart upload (curl), each to a created send link: MiB/s median (min–max) · gateway CPU s/GiB · host cores busy`);
    out.push(sizesRow);
    out.push(row('  gateway, tus upload + POST /links', (r) => throughputCell(r.figures['tus.up.gw'])));
    out.push(row('  gateway, multipart POST /links', (r) => throughputCell(r.figures['tus.up.multipart'])));
    out.push('Targets');
    out.push(row('tus ÷ multipart                        ≥ 0.80', (r) => mark(ratio(r, 'tus.up.gw', 'tus.up.multipart'), 0.8)));
    out.push(row('gateway RSS before the uploads, MiB', (r) => mib(r.rssBefore)));
    out.push(row('gateway peak RSS in the uploads (VmHWM)', (r) => `${mib(r.rssPeak)} MiB`));
  } else {
    out.push('SFTP (OpenSSH sshd, internal-sftp, on loopback): MiB/s median (min–max) · CPU s/GiB of the gateway or of sftp + ssh (not sshd) · host cores busy');
    out.push(sizesRow);
    out.push('download (1 client)');
    out.push(row('  gateway, file share on an SFTP connection', (r) => throughputCell(r.figures['sftp.dl.gw'])));
    out.push(row('  OpenSSH sftp get → /dev/null', (r) => throughputCell(r.figures['sftp.dl.bare'])));
    out.push('Targets');
    out.push(row('SFTP download, gateway ÷ sftp          ≥ 0.70', (r) => mark(ratio(r, 'sftp.dl.gw', 'sftp.dl.bare'), 0.7)));
  }
  return out;
}

function sendReport(results: SizeResult[]): string[] {
  const out: string[] = [];
  const P = settings.parallel;
  const col = COL;
  const label = LABEL;
  const sizesRow = (): string => pad('', label) + results.map((r) => lpad(sizeName(r.size), col)).join('');
  const has = (key: string): boolean => results.some((r) => r.figures[key]);
  const first = results[0]!;

  out.push(`Throughput: MiB/s median (min–max) · server CPU seconds per GiB moved · host cores busy (of ${CORES}, clients included)`);
  out.push(sizesRow());
  const rows: Array<[string, string] | string> = [
    'download, 1 client',
    ['  gateway on PostgreSQL', 'dl1.pg'],
    ['  gateway on PGlite (embedded)', 'dl1.pglite'],
    ['  gateway file share, local connection (PG)', 'dl1.share'],
    ['  bare Node pipeline(fs → socket)', 'dl1.node'],
    ['  nginx sendfile', 'dl1.nginx'],
    `download, ${P} parallel clients (aggregate)`,
    ['  gateway on PostgreSQL', `dl${P}.pg`],
    ['  gateway on PGlite (embedded)', `dl${P}.pglite`],
    ['  bare Node pipeline(fs → socket)', `dl${P}.node`],
    ['  nginx sendfile', `dl${P}.nginx`],
    'upload (1 client)',
    ['  gateway on PostgreSQL, multipart → disk', 'up.pg.disk'],
    ['  gateway on PGlite, multipart → disk', 'up.pglite.disk'],
    ['  bare Node req → SHA-256 → disk', 'up.node.disk'],
    ['  bare Node req → SHA-256 → sink', 'up.node.sink'],
    ['  gateway on PostgreSQL, multipart → tmpfs', 'up.pg.tmpfs'],
    ['  bare Node req → SHA-256 → tmpfs', 'up.node.tmpfs'],
  ];
  let heading: string | null = null; // printed before its first row, not at all without one
  for (const row of rows) {
    if (typeof row === 'string') {
      heading = row;
      continue;
    }
    const [name, key] = row;
    if (!has(key)) {
      continue;
    }
    if (heading !== null) {
      out.push(heading);
      heading = null;
    }
    out.push(
      pad(name, label) +
        results
          .map((r) => {
            const f = r.figures[key];
            return lpad(throughputCell(f), col);
          })
          .join(''),
    );
  }

  out.push('');
  out.push('Gateway garbage collection (from its /metrics): major GCs per GiB, median (worst run) · GC pause ms per GiB');
  out.push(sizesRow());
  for (const [name, key] of [
    ['  1 download, PostgreSQL', 'dl1.pg'],
    ['  1 download, PGlite', 'dl1.pglite'],
    ['  1 download, file share (PostgreSQL)', 'dl1.share'],
    [`  ${P} parallel downloads, PostgreSQL`, `dl${P}.pg`],
    [`  ${P} parallel downloads, PGlite`, `dl${P}.pglite`],
    ['  upload → disk, PostgreSQL', 'up.pg.disk'],
    ['  upload → disk, PGlite', 'up.pglite.disk'],
    ['  upload → tmpfs, PostgreSQL', 'up.pg.tmpfs'],
  ] as const) {
    if (!has(key)) {
      continue;
    }
    out.push(
      pad(name, label) +
        results
          .map((r) => {
            const f = r.figures[key];
            return lpad(f && Number.isFinite(f.gcMajorPerGiB) ? `${f.gcMajorPerGiB.toFixed(1)} (${f.gcMajorPerGiBMax.toFixed(1)}) · ${f.gcMsPerGiB.toFixed(0)}` : 'n/a', col);
          })
          .join(''),
    );
  }
  out.push('');
  const firstByte: Array<[string, string]> = [
    ['dl1.pg', 'PostgreSQL'],
    ['dl1.pglite', 'PGlite'],
    ['dl1.share', 'file share'],
    ['dl1.node', 'bare Node'],
    ['dl1.nginx', 'nginx'],
  ];
  const shown = firstByte.filter(([k]) => has(k));
  out.push(
    pad('1 download, time to first byte (ms)', label) +
      results.map((r) => lpad(shown.map(([k]) => (r.figures[k] ? r.figures[k].firstByteMs.toFixed(1) : 'n/a')).join(' / '), col)).join(''),
  );
  out.push(pad(`  (${shown.map(([, n]) => n).join(' / ')})`, label));

  out.push('');
  out.push('Targets: ratio of medians');
  out.push(sizesRow());
  const ratio = (r: SizeResult, a: string, b: string): number => (r.figures[a] && r.figures[b] ? r.figures[a].mibps / r.figures[b].mibps : NaN);
  const targets: Array<{ label: string; a: string; b: string; min: number | null }> = [
    { label: '1 download, PostgreSQL ÷ bare Node     ≥ 0.90', a: 'dl1.pg', b: 'dl1.node', min: 0.9 },
    { label: '1 download, PGlite ÷ bare Node         ≥ 0.90', a: 'dl1.pglite', b: 'dl1.node', min: 0.9 },
    { label: '1 download, file share ÷ send link     ≥ 0.90', a: 'dl1.share', b: 'dl1.pg', min: 0.9 },
    { label: '1 download, PostgreSQL ÷ nginx         (info)', a: 'dl1.pg', b: 'dl1.nginx', min: null },
    { label: `${P} parallel, PostgreSQL ÷ nginx        ≥ 0.50`, a: `dl${P}.pg`, b: `dl${P}.nginx`, min: 0.5 },
    { label: `${P} parallel, PGlite ÷ nginx            ≥ 0.50`, a: `dl${P}.pglite`, b: `dl${P}.nginx`, min: 0.5 },
    { label: `${P} parallel, PostgreSQL ÷ bare Node    (info)`, a: `dl${P}.pg`, b: `dl${P}.node`, min: null },
    { label: 'upload to disk, PostgreSQL ÷ bare Node ≥ 0.80', a: 'up.pg.disk', b: 'up.node.disk', min: 0.8 },
    { label: 'upload to disk, PGlite ÷ bare Node     (info)', a: 'up.pglite.disk', b: 'up.node.disk', min: null },
    { label: 'upload to tmpfs, gateway ÷ bare Node   (info)', a: 'up.pg.tmpfs', b: 'up.node.tmpfs', min: null },
  ];
  for (const t of targets) {
    if (!has(t.a) || !has(t.b)) {
      continue;
    }
    out.push(pad(t.label, label) + results.map((r) => lpad(mark(ratio(r, t.a, t.b), t.min), col)).join(''));
  }
  // Flat cost: the figures of each size against those of the smallest one.
  const smallest = sizeName(first.size);
  const against = (r: SizeResult, pick: (x: SizeResult) => number): number => pick(r) / pick(first);
  for (const db of ['pg', 'pglite'] as const) {
    const dbName = db === 'pg' ? 'PostgreSQL' : 'PGlite';
    if (!has(`dl1.${db}`) || !results.some((r) => r.memory[db])) {
      continue;
    }
    out.push(
      pad(`1 download CPU s/GiB, ${dbName} ÷ ${smallest}`, label) +
        results.map((r) => lpad(mark(against(r, (x) => x.figures[`dl1.${db}`]?.cpuPerGiB ?? NaN), null, 1.25), col)).join(''),
    );
    out.push(
      pad(`peak RSS in downloads, ${dbName} ÷ ${smallest} ≤ 1.10`, label) +
        results.map((r) => lpad(mark(against(r, (x) => Math.max(x.memory[db]?.download ?? NaN, x.memory[db]?.parallel ?? NaN)), null, 1.1), col)).join(''),
    );
  }
  if (results.some((r) => r.memory.pg)) {
    out.push(
      pad('PostgreSQL gateway peak RSS (VmHWM)    ≤ 150', label) +
        results.map((r) => lpad(`${mib(r.memory.pg?.overall ?? NaN)} MiB ${(r.memory.pg?.overall ?? Infinity) <= RSS_TARGET ? '✓' : '✗'}`, col)).join(''),
    );
  }
  if (results.some((r) => r.memory.pglite)) {
    out.push(pad('PGlite gateway peak RSS (VmHWM)        (info)', label) + results.map((r) => lpad(`${mib(r.memory.pglite?.overall ?? NaN)} MiB  `, col)).join(''));
  }

  for (const db of ['pg', 'pglite'] as const) {
    if (!results.some((r) => r.memory[db])) {
      continue;
    }
    out.push('');
    out.push(`Gateway memory on ${db === 'pg' ? 'PostgreSQL' : 'PGlite (embedded, in the gateway process)'}, MiB: RSS when idle after start-up; peak RSS (VmHWM) per phase`);
    out.push(sizesRow());
    for (const [name, key] of [
      ['  idle after start-up (VmRSS)', 'idle'],
      ['  peak during start-up', 'start'],
      ['  peak during uploads', 'upload'],
      ['  peak during single downloads', 'download'],
      [`  peak during ${P} parallel downloads`, 'parallel'],
      ['  peak overall', 'overall'],
    ] as const) {
      out.push(pad(name, label) + results.map((r) => lpad(mib(r.memory[db]?.[key] ?? NaN), col)).join(''));
    }
  }
  if (results.some((r) => r.rssTmpfs !== null)) {
    out.push(pad('  peak of the tmpfs upload gateway', label) + results.map((r) => lpad(r.rssTmpfs === null ? 'n/a' : mib(r.rssTmpfs), col)).join(''));
  }
  if (has('dl1.node')) {
    out.push('Bare Node servers, MiB: RSS idle → peak (same runtime, no framework)');
    out.push(pad('  upload server (disk and sink)', label) + results.map((r) => lpad(`${mib(r.rss.nodeUpIdle ?? NaN)} → ${mib(r.rss.nodeUpPeak ?? NaN)}`, col)).join(''));
    out.push(pad('  download server (single and parallel)', label) + results.map((r) => lpad(`${mib(r.rss.nodeDownIdle ?? NaN)} → ${mib(r.rss.nodeDownPeak ?? NaN)}`, col)).join(''));
  }
  return out;
}

function ingressReport(r: IngressResult): string[] {
  const out: string[] = [];
  const columns = r.sizes.flatMap((size) => INGRESS_CIPHERS.map((cipher) => ({ size, cipher })));
  const row = (name: string, cell: (c: { size: number; cipher: string }) => string): string => pad(name, LABEL) + columns.map((c) => lpad(cell(c), COL)).join('');
  const fig = (kind: 'get' | 'put', side: 'gw' | 'ssh', c: { size: number; cipher: string }): Figure | undefined => r.figures[`ingress.${kind}.${side}.${c.cipher}.${c.size}`];
  const ratioOf = (a: Figure | undefined, b: Figure | undefined): number => (a && b ? a.mibps / b.mibps : NaN);
  out.push(`SFTP ingress (a local mount of the gateway${r.separate ? '; the ingress in a process of its own, CPU of both processes' : ', in the gateway process'}) against OpenSSH sshd internal-sftp on the same folder, OpenSSH sftp client, a new connection per transfer:`);
  out.push('MiB/s median (min–max) · CPU s/GiB of the gateway, or of sshd and its sessions · host cores busy');
  out.push(pad('', LABEL) + columns.map((c) => lpad(`${sizeName(c.size)}, ${cipherName(c.cipher)}`, COL)).join(''));
  out.push('get → /dev/null');
  out.push(row('  gateway, /Bench/<file>', (c) => throughputCell(fig('get', 'gw', c))));
  out.push(row('  OpenSSH internal-sftp', (c) => throughputCell(fig('get', 'ssh', c))));
  out.push('put (gateway: staged, committed at CLOSE)');
  out.push(row('  gateway, /Bench/<file>', (c) => throughputCell(fig('put', 'gw', c))));
  out.push(row('  OpenSSH internal-sftp', (c) => throughputCell(fig('put', 'ssh', c))));
  const sessionsLabel = `${r.sessions} sessions × ${sizeName(SESSION_FILE_SIZE)} get, ${cipherName(SESSIONS_CIPHER)} (aggregate)`;
  const one = (name: string, cell: string): string => pad(name, LABEL) + lpad(cell, COL);
  out.push(sessionsLabel);
  out.push(one('  gateway', throughputCell(r.figures['ingress.sessions.gw'])));
  out.push(one('  OpenSSH internal-sftp', throughputCell(r.figures['ingress.sessions.ssh'])));
  out.push('Targets');
  out.push(row('get, gateway ÷ OpenSSH                 ≥ 0.80', (c) => mark(ratioOf(fig('get', 'gw', c), fig('get', 'ssh', c)), 0.8)));
  out.push(row('put, gateway ÷ OpenSSH                 ≥ 0.80', (c) => mark(ratioOf(fig('put', 'gw', c), fig('put', 'ssh', c)), 0.8)));
  out.push(one(`${r.sessions} sessions, gateway ÷ OpenSSH           ≥ 0.70`, mark(ratioOf(r.figures['ingress.sessions.gw'], r.figures['ingress.sessions.ssh']), 0.7)));
  const h = r.health.gw;
  const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
  out.push(
    one(
      `/healthz p99 in the ${r.sessions} gateway sessions  < ${HEALTH_P99_TARGET_MS} ms`,
      `${ms(h.p99)} ms ${h.failed === 0 && h.p99 < HEALTH_P99_TARGET_MS ? '✓' : '✗'}`,
    ),
  );
  out.push(one('  p50 / max, polls (failed), every 50 ms', `${ms(h.p50)} / ${ms(h.max)} ms, ${h.samples} (${h.failed})`));
  const s = r.health.ssh;
  out.push(one('  same polls in the OpenSSH sessions: p50 / p99', `${ms(s.p50)} / ${ms(s.p99)} ms, ${s.samples} (${s.failed})`));
  out.push(one("  the poller's own timer lag p99: gateway / OpenSSH", `${ms(h.lateP99)} / ${ms(s.lateP99)} ms`));
  const whose = r.separate ? 'ingress process' : 'gateway';
  out.push(one(`${whose} RSS idle → peak in get and put, MiB`, `${mib(r.rss.idle)} → ${mib(r.rss.singlePeak)}`));
  out.push(one(`${whose} RSS → peak in ${r.sessions} sessions, MiB`, `${mib(r.rss.sessionsBefore)} → ${mib(r.rss.sessionsPeak)}`));
  return out;
}

function profileReport(): string {
  if (!settings.profile || !existsSync(settings.profile)) {
    return '';
  }
  const out: string[] = ['', `Gateway CPU profiles in ${settings.profile}: main thread, self time as a share of its busy (not idle) time`];
  const files = readdirSync(settings.profile)
    .filter((f) => f.endsWith('.cpuprofile') && !f.endsWith('-start.cpuprofile'))
    .sort();
  for (const f of files) {
    const s = summarize(join(settings.profile, f), 12);
    out.push(`\n${f}: ${(s.totalMs / 1000).toFixed(1)} s, busy ${(s.busyMs / 1000).toFixed(1)} s`);
    out.push('  by place:');
    for (const p of s.places.slice(0, 8)) {
      out.push(`    ${lpad((p.share * 100).toFixed(1), 5)}% ${lpad(p.ms.toFixed(0), 6)} ms  ${p.name}`);
    }
    out.push('  by function:');
    for (const p of s.functions) {
      out.push(`    ${lpad((p.share * 100).toFixed(1), 5)}% ${lpad(p.ms.toFixed(0), 6)} ms  ${p.name}`);
    }
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Main

function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0]!.trim() : 'n/a';
}

async function main(): Promise<number> {
  const started = new Date();
  const loadStart = loadAverage();
  if (spawnSync('curl', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('curl is needed as the benchmark client (apt-get install curl)');
  }
  const on = (s: Suite): boolean => settings.suites.has(s);
  const sizesOf = (xs: number[]): string => xs.map(sizeName).join(', ');
  progress(
    `benchmark: ${[
      on('send') || on('share') ? `${[on('send') ? 'send' : '', on('share') ? 'share' : ''].filter(Boolean).join(' and ')} at ${sizesOf(settings.sizes)}` : '',
      on('s3') ? `s3 at ${sizesOf(settings.s3Sizes)}` : '',
      on('sftp') ? `sftp at ${sizesOf(settings.sftpSizes)}` : '',
      on('tus') ? `tus at ${sizesOf(settings.tusSizes)}` : '',
      on('ingress') ? `ingress at ${sizesOf(settings.ingressSizes)} and ${settings.ingressSessions} sessions × ${sizeName(SESSION_FILE_SIZE)}` : '',
    ]
      .filter(Boolean)
      .join('; ')}; load average ${loadStart}`,
  );
  const ng = on('send') ? ensureNginx(progress) : { path: null, note: 'not needed without the send suite' };
  progress(`nginx: ${ng.path ?? 'not available'} (${ng.note})`);
  if (settings.profile) {
    mkdirSync(settings.profile, { recursive: true });
    progress(`profiling the gateway into ${settings.profile}: throughputs are lower than without the profiler`);
  }
  const work = mkdtempSync(join(tmpdir(), 'mft-bench-'));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));

  const results: SizeResult[] = [];
  let failed = false;
  const remote: RemoteResult[] = [];
  const attempt = async (what: string, fn: () => Promise<void>): Promise<void> => {
    if (interrupted) {
      return;
    }
    try {
      await fn();
    } catch (err) {
      failed = true;
      if (!interrupted) {
        progress(`  ${what} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
    }
  };
  for (const size of on('send') || on('share') ? settings.sizes : []) {
    await attempt(sizeName(size), async () => void results.push(await benchSize(size, work, ng.path)));
  }
  for (const size of on('s3') ? settings.s3Sizes : []) {
    await attempt(`S3, ${sizeName(size)}`, async () => void remote.push(await benchS3(size, work)));
  }
  for (const size of on('sftp') ? settings.sftpSizes : []) {
    await attempt(`SFTP, ${sizeName(size)}`, async () => void remote.push(await benchSftp(size, work)));
  }
  for (const size of on('tus') ? settings.tusSizes : []) {
    await attempt(`tus, ${sizeName(size)}`, async () => void remote.push(await benchTus(size, work)));
  }
  let ingress = null as IngressResult | null;
  if (on('ingress')) {
    await attempt('SFTP ingress', async () => void (ingress = await benchIngress(work)));
  }
  const cpuModel = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const header = [
    `MFT gateway benchmark, ${started.toISOString()} (${((Date.now() - started.getTime()) / 1000).toFixed(0)} s)`,
    `host: ${CORES} × ${cpuModel}; files in ${tmpdir()} (${tool('sh', ['-c', `df -T ${tmpdir()} | tail -1 | awk '{print $2}'`])}); load average ${loadStart} at start, ${loadAverage()} at end`,
    `node ${process.version}; nginx ${ng.path ? nginxVersion(ng.path) : 'n/a'} (sendfile on, worker_processes auto); ${tool('curl', ['--version']).split(' ').slice(0, 2).join(' ')} as the client, writing to /dev/null`,
    `gateway on PostgreSQL (${tool('psql', ['--version']) === 'n/a' ? 'server at 127.0.0.1:5432' : tool('psql', ['--version'])})${settings.pglite && on('send') ? ' and on embedded PGlite' : ''}, LOG_LEVEL=${process.env.TEST_LOG_LEVEL ?? 'warn'}${settings.gatewayNodeOptions ? `, NODE_OPTIONS=${settings.gatewayNodeOptions}` : ''}${Object.entries(settings.gatewayEnv)
      .map(([k, v]) => `, ${k}=${v}`)
      .join('')}`,
    `runs: ${settings.runs} per figure (×${MIN_BYTES_PER_FIGURE / MiB} MiB ÷ size for files under ${MIN_BYTES_PER_FIGURE / MiB} MiB), medians; suites: ${[...settings.suites].join(', ')}`,
  ];
  if (on('sftp')) {
    header.push(`SFTP: ${tool('sh', ['-c', 'ssh -V 2>&1'])} (sshd and the sftp client), each side with its default cipher`);
  }
  if (on('ingress')) {
    header.push(`SFTP ingress: ${tool('sh', ['-c', 'ssh -V 2>&1'])} (sshd and the sftp client, default -B 32768 -R 64), ciphers ${INGRESS_CIPHERS.join(', ')}`);
  }
  if (results.length > 0 || remote.length > 0 || ingress) {
    process.stdout.write(`\n${report(results, remote, ingress, header)}\n`);
    process.stdout.write(`${profileReport()}\n`);
  }
  if (settings.json) {
    writeFileSync(settings.json, JSON.stringify({ started, header, settings: { ...settings, suites: [...settings.suites] }, results, remote, ingress }, null, 2));
    progress(`samples written to ${settings.json}`);
  }
  return failed || (results.length === 0 && remote.length === 0 && !ingress) ? 1 : 0;
}

async function cleanup(): Promise<void> {
  for (const fn of cleanups.reverse()) {
    await Promise.resolve()
      .then(fn)
      .catch(() => undefined);
  }
  cleanups.length = 0;
}

let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
  progress('interrupted: cleaning up');
  void cleanup().finally(() => process.exit(130));
});

let code = 1;
try {
  code = await main();
} catch (err) {
  progress(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  await cleanup();
}
process.exit(code);

