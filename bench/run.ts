/**
 * `npm run bench`: upload and download the same send copy through the gateway, nginx (sendfile)
 * and a bare Node.js server, one size after another, and print throughputs, ratios against the
 * targets, and the gateway's peak RSS. A missed target is reported, never an error: the exit
 * status is non-zero only when something broke.
 *
 * Environment:
 *   BENCH_SIZES     sizes to run, comma-separated (default "64M,1G"; K, M, G are binary units)
 *   BENCH_RUNS      measured repetitions per figure, median reported (default 3; small files get more)
 *   BENCH_PARALLEL  parallel clients (default 8)
 *   BENCH_PGLITE    "0" skips the informational run on the embedded PGlite database
 *   BENCH_TMPFS     "0" skips the uploads into tmpfs (/dev/shm)
 *   BENCH_JSON      also write every sample to this file
 *   BENCH_PROFILE   a directory: run the gateway under the V8 profiler and write one .cpuprofile per phase
 *   BENCH_GATEWAY_NODE_OPTIONS  NODE_OPTIONS for the gateway processes only (to try runtime flags)
 *   BENCH_GATEWAY_ENV           more environment for the gateway processes only: NAME=value pairs
 *                               separated by spaces (e.g. "MALLOC_ARENA_MAX=2")
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { TestGateway } from '@mft/testing';
import { startChildServer } from './children.js';
import { download, parallelDownload, uploadMultipart, uploadRaw, type Timed } from './curl.js';
import { ensureNginx, nginxVersion, startNginx, type NginxInstance } from './nginx.js';
import { gcCounters, makeFile, parseSize } from './measure.js';
import { summarize } from './profile-summary.js';
import { coresBusy, cpuSecondsOf, findProcess, hostCpu, loadAverage, resetPeak, statusBytes } from './proc.js';

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

const settings = {
  sizes: (process.env.BENCH_SIZES ?? '64M,1G').split(',').filter(Boolean).map(parseSize),
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
  /** CPU seconds the server process(es) used meanwhile. */
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
    serverCpu: cpu1 - cpu0,
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

async function startGateway(label: string, database: 'postgres' | 'pglite', dataParent: string | null, profile = false): Promise<RunningGateway> {
  const savedDb = process.env.DATABASE_URL;
  const savedTmp = process.env.TMPDIR;
  const env: Record<string, string> = { ...settings.gatewayEnv, HOST: '127.0.0.1' };
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

async function describeCopy(g: RunningGateway, linkId: string, grantUrl: string, size: number, sha256: string): Promise<SendCopy> {
  const res = await fetch(grantUrl, { headers: { accept: 'application/json' } });
  const meta = (await res.json()) as { files: Array<{ id: string; size: number; sha256: string }> };
  const f = meta.files[0];
  if (!f || f.size !== size || f.sha256 !== sha256) {
    throw new Error(`the gateway stored ${JSON.stringify(f)}; expected ${size} bytes with SHA-256 ${sha256}`);
  }
  const key = `send/${linkId}/${f.id}`;
  if (!existsSync(join(g.gw.dataDir, 'files', key))) {
    throw new Error(`the copy is not at ${join(g.gw.dataDir, 'files', key)}`);
  }
  return { linkId, fileId: f.id, grantUrl, downloadUrl: `${grantUrl}/files/${f.id}`, key };
}

// ---------------------------------------------------------------------------------------------
// One size

interface SizeResult {
  readonly size: number;
  readonly figures: Record<string, Figure>;
  /** Peak RSS of the gateway (bytes) by phase, and overall. */
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

  try {
    progress(`\n== ${name}: ${runs} runs per upload and single download, ${settings.runs} of ${settings.parallel} parallel clients × ${repeat} downloads`);
    const { path: file, sha256 } = payload(work, size);

    const g = await startGateway(name.replace(' ', ''), 'postgres', null, true);
    track(g.stop);
    rss.idle = statusBytes(g.pid, 'VmRSS') ?? NaN;
    rss.start = statusBytes(g.pid, 'VmHWM') ?? NaN;
    await profilePhase(g, '1-start');
    const peakResettable = resetPeak(g.pid);
    const filesDir = join(g.gw.dataDir, 'files');

    const up = await startChildServer('bare-upload', [work]);
    track(() => up.stop());
    rss.nodeUpIdle = statusBytes(up.pid, 'VmRSS') ?? NaN;

    // The copy every download reads, uploaded once before anything is measured.
    const first = await uploadToGateway(g, file, size);
    const copy = await describeCopy(g, first.linkId, first.grantUrl, size, sha256);
    syncDisks();

    // Uploads: the gateway and the baselines take turns, in a rotating order.
    progress('  uploads');
    const rawUpload = async (url: string, written: string | null): Promise<Timed> => {
      const { transfer, body } = await uploadRaw(url, file, size);
      assertHash(body, sha256);
      if (written) {
        unlinkSync(written);
      }
      return { bytes: size, seconds: transfer.seconds };
    };
    await rawUpload(`${up.url}/sink`, null); // warm-up
    const uploads: Array<{ key: string; pids: () => number[]; run: () => Promise<Timed>; gateway?: string }> = [
      { key: 'up.gw.disk', pids: () => [g.pid], run: async () => (await uploadToGateway(g, file, size)).timed, gateway: g.gw.metricsUrl },
      { key: 'up.node.disk', pids: () => [up.pid], run: () => rawUpload(`${up.url}/disk/upload.bin`, join(work, 'upload.bin')) },
      { key: 'up.node.sink', pids: () => [up.pid], run: () => rawUpload(`${up.url}/sink`, null) },
    ];
    for (let i = 0; i < runs; i++) {
      for (const u of rotate(uploads, i)) {
        add(u.key, await measure(u.pids, u.run, u.gateway));
        syncDisks();
      }
    }
    rss.upload = statusBytes(g.pid, 'VmHWM') ?? NaN;
    rss.nodeUpPeak = statusBytes(up.pid, 'VmHWM') ?? NaN;
    await profilePhase(g, '2-upload');

    // Downloads: the same bytes from the same file through the three servers.
    const dl = await startChildServer('bare-download', [filesDir]);
    track(() => dl.stop());
    rss.nodeDownIdle = statusBytes(dl.pid, 'VmRSS') ?? NaN;
    let nginx: NginxInstance | null = null;
    if (nginxBinary) {
      nginx = await startNginx(nginxBinary, filesDir);
      track(() => nginx!.stop());
    }
    const targets: Array<{ key: string; url: string; pids: () => number[]; gateway?: string }> = [
      { key: 'gw', url: copy.downloadUrl, pids: () => [g.pid], gateway: g.gw.metricsUrl },
      { key: 'node', url: `${dl.url}/${copy.key}`, pids: () => [dl.pid] },
      ...(nginx ? [{ key: 'nginx', url: `${nginx.url}/${copy.key}`, pids: () => nginx!.pids() }] : []),
    ];
    progress('  single downloads');
    if (peakResettable) {
      resetPeak(g.pid);
    }
    for (const t of targets) {
      await download(t.url, size); // warm-up: page cache, connections, JIT
    }
    for (let i = 0; i < runs; i++) {
      for (const t of rotate(targets, i)) {
        add(`dl1.${t.key}`, await measure(t.pids, async () => {
          const [tr] = await download(t.url, size);
          return { bytes: tr!.bytes, seconds: tr!.seconds, firstByte: tr!.firstByte };
        }, t.gateway));
      }
    }
    rss.download = statusBytes(g.pid, 'VmHWM') ?? NaN;
    await profilePhase(g, '3-download');

    progress(`  ${settings.parallel} parallel downloads`);
    if (peakResettable) {
      resetPeak(g.pid);
    }
    for (let i = 0; i < settings.runs; i++) {
      for (const t of rotate(targets, i)) {
        add(`dl${settings.parallel}.${t.key}`, await measure(t.pids, () => parallelDownload(t.url, size, settings.parallel, repeat), t.gateway));
      }
    }
    rss.parallel = statusBytes(g.pid, 'VmHWM') ?? NaN;
    rss.nodeDownPeak = statusBytes(dl.pid, 'VmHWM') ?? NaN;
    await profilePhase(g, '4-parallel');
    rss.overall = Math.max(rss.start, rss.upload, rss.download, rss.parallel);
    if (!peakResettable) {
      notes.push('The kernel does not let the peak RSS be reset here: every phase shows the peak since start-up.');
    }

    // Uploads into tmpfs: the same comparison without the disk.
    let rssTmpfs: number | null = null;
    const shm = '/dev/shm';
    if (settings.tmpfs && existsSync(shm) && freeBytes(shm) > (runs + 2) * size * 2 + GiB) {
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
        { key: 'up.gw.tmpfs', pids: () => [gt.pid], run: async () => (await uploadToGateway(gt, file, size)).timed, gateway: gt.gw.metricsUrl },
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
    return { size, figures, rss, rssTmpfs, peakResettable, notes };
  } finally {
    for (const fn of local.reverse()) {
      await Promise.resolve()
        .then(fn)
        .catch((err: unknown) => progress(`  cleanup: ${String(err)}`));
    }
  }
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
// PGlite, for information

interface PgliteResult {
  readonly size: number;
  readonly idle: number;
  readonly peak: number;
  readonly figures: Record<string, Figure>;
}

async function benchPglite(size: number, work: string): Promise<PgliteResult> {
  progress(`\n== embedded PGlite database, ${sizeName(size)} (peak RSS for information)`);
  const { path: file, sha256 } = payload(work, size);
  const g = await startGateway('pglite', 'pglite', null);
  try {
    const idle = statusBytes(g.pid, 'VmRSS') ?? NaN;
    const up = await measure(
      () => [g.pid],
      async () => (await uploadToGateway(g, file, size)).timed,
      g.gw.metricsUrl,
    );
    const first = await uploadToGateway(g, file, size);
    const copy = await describeCopy(g, first.linkId, first.grantUrl, size, sha256);
    await download(copy.downloadUrl, size);
    const dl = await measure(
      () => [g.pid],
      async () => {
        const [t] = await download(copy.downloadUrl, size);
        return { bytes: t!.bytes, seconds: t!.seconds };
      },
      g.gw.metricsUrl,
    );
    const par = await measure(() => [g.pid], () => parallelDownload(copy.downloadUrl, size, settings.parallel, 1), g.gw.metricsUrl);
    const peak = statusBytes(g.pid, 'VmHWM') ?? NaN;
    return { size, idle, peak, figures: { 'up.gw.disk': figure([up]), 'dl1.gw': figure([dl]), [`dl${settings.parallel}.gw`]: figure([par]) } };
  } finally {
    await g.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const mib = (bytes: number): string => (Number.isFinite(bytes) ? (bytes / MiB).toFixed(0) : 'n/a');

function report(results: SizeResult[], pglite: PgliteResult | null, header: string[]): string {
  const out: string[] = [...header, ''];
  const P = settings.parallel;
  const col = 32;
  const sizesRow = (label: string, width = 44): string => pad(label, width) + results.map((r) => lpad(sizeName(r.size), col)).join('');

  out.push('Throughput: MiB/s median (min–max) · server CPU seconds per GiB moved · host cores busy (of ' + CORES + ', clients included)');
  out.push(sizesRow(''));
  const rows: Array<[string, string] | string> = [
    'download, 1 client',
    ['  gateway', 'dl1.gw'],
    ['  bare Node pipeline(fs → socket)', 'dl1.node'],
    ['  nginx sendfile', 'dl1.nginx'],
    `download, ${P} parallel clients (aggregate)`,
    ['  gateway', `dl${P}.gw`],
    ['  bare Node pipeline(fs → socket)', `dl${P}.node`],
    ['  nginx sendfile', `dl${P}.nginx`],
    'upload (1 client)',
    ['  gateway, multipart → disk', 'up.gw.disk'],
    ['  bare Node req → SHA-256 → disk', 'up.node.disk'],
    ['  bare Node req → SHA-256 → sink', 'up.node.sink'],
    ['  gateway, multipart → tmpfs', 'up.gw.tmpfs'],
    ['  bare Node req → SHA-256 → tmpfs', 'up.node.tmpfs'],
  ];
  for (const row of rows) {
    if (typeof row === 'string') {
      out.push(row);
      continue;
    }
    const [label, key] = row;
    if (!results.some((r) => r.figures[key])) {
      continue;
    }
    out.push(
      pad(label, 44) +
        results
          .map((r) => {
            const f = r.figures[key];
            return lpad(f ? `${f.mibps.toFixed(0)} (${f.min.toFixed(0)}–${f.max.toFixed(0)}) · ${f.cpuPerGiB.toFixed(2)} · ${f.hostCores.toFixed(1)}` : 'n/a', col);
          })
          .join(''),
    );
  }

  out.push('');
  out.push('Gateway garbage collection (from its /metrics): major GCs per GiB, median (worst run) · GC pause ms per GiB');
  out.push(sizesRow(''));
  for (const [label, key] of [
    ['  1 download', 'dl1.gw'],
    [`  ${P} parallel downloads`, `dl${P}.gw`],
    ['  upload → disk', 'up.gw.disk'],
    ['  upload → tmpfs', 'up.gw.tmpfs'],
  ] as const) {
    if (!results.some((r) => r.figures[key])) {
      continue;
    }
    out.push(
      pad(label, 44) +
        results
          .map((r) => {
            const f = r.figures[key];
            return lpad(f && Number.isFinite(f.gcMajorPerGiB) ? `${f.gcMajorPerGiB.toFixed(1)} (${f.gcMajorPerGiBMax.toFixed(1)}) · ${f.gcMsPerGiB.toFixed(0)}` : 'n/a', col);
          })
          .join(''),
    );
  }
  out.push('');
  out.push(
    pad('1 download, time to first byte (ms)', 44) +
      results
        .map((r) =>
          lpad(
            ['dl1.gw', 'dl1.node', 'dl1.nginx']
              .map((k) => (r.figures[k] ? r.figures[k].firstByteMs.toFixed(1) : 'n/a'))
              .join(' / '),
            col,
          ),
        )
        .join(''),
  );
  out.push(pad('  (gateway / bare Node / nginx)', 44));
  out.push('');
  out.push('Targets: ratio of medians');
  out.push(sizesRow(''));
  const ratio = (r: SizeResult, a: string, b: string): number => (r.figures[a] && r.figures[b] ? r.figures[a].mibps / r.figures[b].mibps : NaN);
  const targets: Array<{ label: string; a: string; b: string; min: number | null }> = [
    { label: '1 download: gateway ÷ bare Node      ≥ 0.90', a: 'dl1.gw', b: 'dl1.node', min: 0.9 },
    { label: '1 download: gateway ÷ nginx          (info)', a: 'dl1.gw', b: 'dl1.nginx', min: null },
    { label: `${P} parallel: gateway ÷ nginx          ≥ 0.50`, a: `dl${P}.gw`, b: `dl${P}.nginx`, min: 0.5 },
    { label: `${P} parallel: gateway ÷ bare Node      (info)`, a: `dl${P}.gw`, b: `dl${P}.node`, min: null },
    { label: 'upload to disk: gateway ÷ bare Node  ≥ 0.80', a: 'up.gw.disk', b: 'up.node.disk', min: 0.8 },
    { label: 'upload: gateway (disk) ÷ Node sink   (info)', a: 'up.gw.disk', b: 'up.node.sink', min: null },
    { label: 'upload to tmpfs: gateway ÷ bare Node (info)', a: 'up.gw.tmpfs', b: 'up.node.tmpfs', min: null },
  ];
  for (const t of targets) {
    out.push(
      pad(t.label, 44) +
        results
          .map((r) => {
            const v = ratio(r, t.a, t.b);
            if (!Number.isFinite(v)) {
              return lpad('n/a', col);
            }
            return lpad(`${v.toFixed(2)}×${t.min === null ? '  ' : v >= t.min ? ' ✓' : ' ✗'}`, col);
          })
          .join(''),
    );
  }
  out.push(
    pad('gateway peak RSS (VmHWM)            ≤ 150', 44) +
      results.map((r) => lpad(`${mib(r.rss.overall!)} MiB ${r.rss.overall! <= RSS_TARGET ? '✓' : '✗'}`, col)).join(''),
  );

  out.push('');
  out.push('Gateway memory (PostgreSQL), MiB: RSS when idle after start-up; peak RSS per phase');
  out.push(sizesRow(''));
  for (const [label, key] of [
    ['  idle after start-up (VmRSS)', 'idle'],
    ['  peak during start-up', 'start'],
    ['  peak during uploads', 'upload'],
    ['  peak during single downloads', 'download'],
    [`  peak during ${P} parallel downloads`, 'parallel'],
    ['  peak overall', 'overall'],
  ] as const) {
    out.push(pad(label, 44) + results.map((r) => lpad(mib(r.rss[key]!), col)).join(''));
  }
  if (results.some((r) => r.rssTmpfs !== null)) {
    out.push(pad('  peak of the tmpfs upload gateway', 44) + results.map((r) => lpad(r.rssTmpfs === null ? 'n/a' : mib(r.rssTmpfs), col)).join(''));
  }
  out.push('Bare Node servers, MiB: RSS idle → peak (same runtime, no framework)');
  out.push(pad('  upload server (disk and sink)', 44) + results.map((r) => lpad(`${mib(r.rss.nodeUpIdle!)} → ${mib(r.rss.nodeUpPeak!)}`, col)).join(''));
  out.push(pad('  download server (single and parallel)', 44) + results.map((r) => lpad(`${mib(r.rss.nodeDownIdle!)} → ${mib(r.rss.nodeDownPeak!)}`, col)).join(''));
  if (pglite) {
    const f = pglite.figures;
    out.push('');
    out.push(`Embedded PGlite database (information, not held to the RSS target), ${sizeName(pglite.size)}, one run each:`);
    out.push(`  idle RSS ${mib(pglite.idle)} MiB, peak RSS ${mib(pglite.peak)} MiB`);
    out.push(
      `  upload ${f['up.gw.disk']!.mibps.toFixed(0)} MiB/s, 1 download ${f['dl1.gw']!.mibps.toFixed(0)} MiB/s, ${P} parallel ${f[`dl${P}.gw`]!.mibps.toFixed(0)} MiB/s`,
    );
  }
  const notes = [...new Set(results.flatMap((r) => r.notes))];
  if (notes.length > 0) {
    out.push('');
    out.push(...notes);
  }
  return out.join('\n');
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
  progress(`benchmark: sizes ${settings.sizes.map(sizeName).join(', ')}; load average ${loadStart}`);
  const ng = ensureNginx(progress);
  progress(`nginx: ${ng.path ?? 'not available'} (${ng.note})`);
  if (settings.profile) {
    mkdirSync(settings.profile, { recursive: true });
    progress(`profiling the gateway into ${settings.profile}: throughputs are lower than without the profiler`);
  }
  const work = mkdtempSync(join(tmpdir(), 'mft-bench-'));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));

  const results: SizeResult[] = [];
  let failed = false;
  for (const size of settings.sizes) {
    if (interrupted) {
      break;
    }
    try {
      results.push(await benchSize(size, work, ng.path));
    } catch (err) {
      failed = true;
      if (!interrupted) {
        progress(`  ${sizeName(size)} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
    }
  }
  let pglite: PgliteResult | null = null;
  if (settings.pglite && settings.sizes.length > 0 && !interrupted) {
    try {
      pglite = await benchPglite(Math.max(...settings.sizes), work);
    } catch (err) {
      failed = true;
      progress(`  PGlite run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
  const cpuModel = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const header = [
    `MFT gateway benchmark, ${started.toISOString()} (${((Date.now() - started.getTime()) / 1000).toFixed(0)} s)`,
    `host: ${CORES} × ${cpuModel}; files in ${tmpdir()} (${tool('sh', ['-c', `df -T ${tmpdir()} | tail -1 | awk '{print $2}'`])}); load average ${loadStart} at start, ${loadAverage()} at end`,
    `node ${process.version}; nginx ${ng.path ? nginxVersion(ng.path) : 'n/a'} (sendfile on, worker_processes auto); ${tool('curl', ['--version']).split(' ').slice(0, 2).join(' ')} as the client, writing to /dev/null`,
    `gateway on PostgreSQL (${tool('psql', ['--version']) === 'n/a' ? 'server at 127.0.0.1:5432' : tool('psql', ['--version'])}), LOG_LEVEL=${process.env.TEST_LOG_LEVEL ?? 'warn'}${settings.gatewayNodeOptions ? `, NODE_OPTIONS=${settings.gatewayNodeOptions}` : ''}${Object.entries(settings.gatewayEnv)
      .map(([k, v]) => `, ${k}=${v}`)
      .join('')}`,
    `runs: ${settings.runs} per figure (×${MIN_BYTES_PER_FIGURE / MiB} MiB ÷ size for files under ${MIN_BYTES_PER_FIGURE / MiB} MiB), medians`,
  ];
  if (results.length > 0) {
    process.stdout.write(`\n${report(results, pglite, header)}\n`);
    process.stdout.write(`${profileReport()}\n`);
  }
  if (settings.json) {
    writeFileSync(settings.json, JSON.stringify({ started, header, settings, results, pglite }, null, 2));
    progress(`samples written to ${settings.json}`);
  }
  return failed || results.length === 0 ? 1 : 0;
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

