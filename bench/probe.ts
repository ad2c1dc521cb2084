/**
 * `node dist/bench/probe.js`: one gateway, one send copy, downloads watched from the outside once a
 * second: how far the gateway has read the copy (`rchar` of /proc/<pid>/io), its CPU time, RSS and
 * major GCs. Prints one line per interval, so that a cost that grows with the position in the file
 * shows as a trend. A diagnosis tool for `bench/run.ts`; it keeps nothing in memory but counters.
 *
 * Environment:
 *   PROBE_SIZE      size of the copy (default 1G)
 *   PROBE_DB        "postgres" (default) or "pglite"
 *   PROBE_LIMIT     maxDownloads of the link (default none: unlimited; with a limit the download
 *                   holds a claim, so its heartbeat records progress)
 *   PROBE_TIMES     downloads, one after another (default 1)
 *   PROBE_PARALLEL  clients at once for each download round (default 1)
 *   PROBE_NODE_OPTIONS  NODE_OPTIONS of the gateway (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
 *   PROBE_ENV       more environment of the gateway: NAME=value pairs separated by spaces
 *   PROBE_V8_FLAGS  V8 flags set in the gateway at start (e.g. "--trace-gc"), through bench/traced-gateway.ts
 *   PROBE_MEMORY_LOG  a file: the gateway appends its memory usage and GCs ten times a second (bench/traced-gateway.ts)
 *   PROBE_OUTPUT    "1": print the end of the gateway's output (with `--trace-gc` in PROBE_NODE_OPTIONS)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { TestGateway } from '@mft/testing';
import { makeFile, parseSize, gcCounters } from './measure.js';
import { uploadMultipart } from './curl.js';
import { cpuSeconds, findProcess, statusBytes } from './proc.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function rchar(pid: number): number {
  try {
    const m = /^rchar:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

function curl(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('curl', ['--silent', '--show-error', '--noproxy', '*', '--fail', '--output', '/dev/null', url], { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`curl exited with ${code}`))));
  });
}

const size = parseSize(process.env.PROBE_SIZE ?? '1G');
const db = process.env.PROBE_DB === 'pglite' ? 'pglite' : 'postgres';
const limit = process.env.PROBE_LIMIT ?? '';
const times = Number(process.env.PROBE_TIMES ?? 1);
const parallel = Number(process.env.PROBE_PARALLEL ?? 1);
const env: Record<string, string> = { HOST: '127.0.0.1' };
if (process.env.PROBE_NODE_OPTIONS) {
  env.NODE_OPTIONS = process.env.PROBE_NODE_OPTIONS;
}
for (const pair of (process.env.PROBE_ENV ?? '').split(/\s+/).filter(Boolean)) {
  const eq = pair.indexOf('=');
  env[pair.slice(0, eq)] = pair.slice(eq + 1);
}

const work = mkdtempSync(join(tmpdir(), 'mft-probe-'));
const savedDb = process.env.DATABASE_URL;
if (db === 'pglite') {
  delete process.env.DATABASE_URL;
}
let gw: TestGateway | null = null;
try {
  const traced = Boolean(process.env.PROBE_V8_FLAGS || process.env.PROBE_MEMORY_LOG);
  if (traced) {
    env.BENCH_V8_FLAGS = process.env.PROBE_V8_FLAGS ?? '';
    env.BENCH_MEMORY_LOG = process.env.PROBE_MEMORY_LOG ?? '';
  }
  gw = await TestGateway.start({ database: db === 'postgres' ? 'postgres' : 'auto', env, ...(traced ? { entry: 'dist/bench/traced-gateway.js' } : {}) });
  if (savedDb !== undefined) {
    process.env.DATABASE_URL = savedDb;
  }
  const pid = findProcess(traced ? 'traced-gateway.js' : 'dist/apps/main.js', `DATA_DIR=${gw.dataDir}`)!;
  const rssLine = (when: string): void =>
    void process.stdout.write(`${when}: RSS ${((statusBytes(pid, 'VmRSS') ?? NaN) / MiB).toFixed(0)} MiB, peak ${((statusBytes(pid, 'VmHWM') ?? NaN) / MiB).toFixed(0)} MiB\n`);
  rssLine('started');
  const token = await gw.token();
  const file = join(work, 'payload.bin');
  makeFile(file, size);
  const fields: Record<string, string> = limit ? { maxDownloads: limit } : { oneTime: 'false' };
  const { body } = await uploadMultipart(`${gw.baseUrl}/api/v1/links`, file, size, { Authorization: `Bearer ${token}` }, fields);
  rmSync(file);
  rssLine('uploaded');
  const created = JSON.parse(body) as { grants: Array<{ url: string }> };
  const grantUrl = created.grants[0]!.url;
  const meta = (await (await fetch(grantUrl, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string }> };
  const url = `${grantUrl}/files/${meta.files[0]!.id}`;
  process.stdout.write(`gateway pid ${pid} on ${db}; ${size / MiB} MiB; limit ${limit || 'none'}; ${times} × ${parallel} clients\n`);
  process.stdout.write('   t s   read MiB   MiB/s   CPU s/GiB   major GCs   RSS MiB   peak MiB\n');
  let last = { t: performance.now(), read: rchar(pid), cpu: cpuSeconds(pid), gc: (await gcCounters(gw.metricsUrl))?.major ?? NaN };
  const t0 = last.t;
  const start = last.read;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = { t: performance.now(), read: rchar(pid), cpu: cpuSeconds(pid), gc: (await gcCounters(gw!.metricsUrl))?.major ?? NaN };
      const bytes = now.read - last.read;
      process.stdout.write(
        [
          ((now.t - t0) / 1000).toFixed(0).padStart(6),
          ((now.read - start) / MiB).toFixed(0).padStart(10),
          (bytes / MiB / ((now.t - last.t) / 1000)).toFixed(0).padStart(7),
          (bytes > 0 ? (now.cpu - last.cpu) / (bytes / GiB) : NaN).toFixed(2).padStart(11),
          String(now.gc - last.gc).padStart(11),
          ((statusBytes(pid, 'VmRSS') ?? NaN) / MiB).toFixed(0).padStart(9),
          ((statusBytes(pid, 'VmHWM') ?? NaN) / MiB).toFixed(0).padStart(10),
        ].join(' ') + '\n',
      );
      last = now;
    }
  })();
  for (let i = 0; i < times; i++) {
    await Promise.all(Array.from({ length: parallel }, () => curl(url)));
  }
  done = true;
  await sampler;
  if (process.env.PROBE_OUTPUT === '1') {
    process.stdout.write(`--- the gateway's output (its last 20,000 characters)\n${gw.output()}\n`);
  }
} finally {
  await gw?.stop();
  rmSync(work, { recursive: true, force: true });
}
