// Runs every compiled test (unit *.spec, integration *.int-spec, end-to-end *.e2e-spec) with node's
// test runner, each file in a `node --test` process of its own, TEST_CONCURRENCY files at a time
// (default: one per core), the slowest first by the times recorded in scripts/test-times.json (a file
// without a recorded time counts as the slowest, so new files start early). Each file's output is
// kept; the run ends with the full output of every file that failed, a summary (every file's
// result, test count and time) and, last, the failing tests of each failed file with their errors.
// The exit code is 0 only when every file ran and passed.
//
//   node scripts/run-tests.mjs [<text>...] [--update-times]
//
// `npm test -- <text>` runs only the files whose path contains <text>. `--update-times` (or
// TEST_UPDATE_TIMES=1) writes the measured times of the files that passed into scripts/test-times.json.
//
// Databases: TEST_DATABASES=postgres,pglite runs the files once per database, in one pool (one build,
// one run). Without it, the run is on PostgreSQL when DATABASE_URL is set, else on embedded PGlite.
// The PostgreSQL pass uses DATABASE_URL (or TEST_POSTGRES_URL, or postgres://postgres@127.0.0.1:5432/test);
// the PGlite pass runs without DATABASE_URL.
// The first database runs every file. Every later one (and a single pass with TEST_DATABASE_ONLY=1)
// repeats only the files that open a database (a test gateway or a test database) and do not say,
// with a line `// database-neutral: <why>` in the file, that what they test does not depend on which
// database is beneath (browser suites that drive pages, pure protocol tests): repeating the others
// on a second database would prove nothing more.
// TEST_OUTPUT=all prints each file's output as it finishes; TEST_FILE_TIMEOUT_SECONDS (default 900)
// stops a file that hangs (and counts it as failed).
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';

const TIMES_FILE = 'scripts/test-times.json';

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'node_modules' ? [] : walk(join(dir, e.name))) : [join(dir, e.name)],
  );
}

const args = process.argv.slice(2);
const updateTimes = args.includes('--update-times') || process.env.TEST_UPDATE_TIMES === '1';
const filters = args.filter((a) => a !== '--update-times');
const files = walk('dist')
  .filter((f) => /\.(spec|int-spec|e2e-spec)\.js$/.test(f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

/**
 * Every way a test reaches a database goes through one of these names (libs/testing, or @mft/db
 * itself), in the test file or in a module next to it that it imports (`./share-fixtures.js`).
 */
function opensDatabase(file, seen = new Set()) {
  if (seen.has(file)) {
    return false;
  }
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  if (/\b(TestGateway|openTestDatabase|createTestDatabase|Database\.open|DATABASE_URL|onPostgres)\b/.test(source)) {
    return true;
  }
  return [...source.matchAll(/from '(\.\/[^']+\.js)'/g)].some((m) => opensDatabase(join(dirname(file), m[1]), seen));
}

/** The reason a file gives for not being repeated on a second database, or null. */
function databaseNeutral(file) {
  const m = /^\s*\/\/ database-neutral: (.+)$/m.exec(readFileSync(file, 'utf8'));
  return m ? m[1].trim() : null;
}

const postgresUrl = process.env.DATABASE_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const databases = (process.env.TEST_DATABASES ?? (process.env.DATABASE_URL ? 'postgres' : 'pglite'))
  .split(',')
  .map((d) => d.trim())
  .filter(Boolean);
for (const d of databases) {
  if (d !== 'postgres' && d !== 'pglite') {
    console.error(`TEST_DATABASES: unknown database "${d}" (postgres, pglite)`);
    process.exit(2);
  }
}
if (databases.length === 0 || new Set(databases).size !== databases.length) {
  console.error(`TEST_DATABASES: name each database once (postgres, pglite), got "${process.env.TEST_DATABASES}"`);
  process.exit(2);
}

const short = (f) => f.replace(/^dist\//, '');
const jobs = [];
databases.forEach((database, i) => {
  const repeat = i > 0 || process.env.TEST_DATABASE_ONLY === '1';
  let chosen = files;
  if (repeat) {
    const noDatabase = files.filter((f) => !opensDatabase(f));
    const neutral = files.filter((f) => !noDatabase.includes(f) && databaseNeutral(f) !== null);
    chosen = files.filter((f) => !noDatabase.includes(f) && !neutral.includes(f));
    if (noDatabase.length + neutral.length > 0) {
      console.log(`${database}: leaving out ${noDatabase.length} files that open no database and ${neutral.length} database-neutral files (${[...noDatabase, ...neutral].map(short).join(', ')})`);
    }
  }
  for (const file of chosen) {
    jobs.push({ database, file });
  }
});
if (jobs.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const times = existsSync(TIMES_FILE) ? JSON.parse(readFileSync(TIMES_FILE, 'utf8')) : {};
const recorded = (job) => times[job.database]?.[short(job.file)] ?? Number.POSITIVE_INFINITY;
jobs.sort((a, b) => recorded(b) - recorded(a));

// One per core: a third file at a time on two cores shortened a run by about 15 %, but starved the
// timing of tests that wait on a gateway's background jobs (two of them failed in one CI run).
const concurrency = Math.max(1, Number(process.env.TEST_CONCURRENCY ?? availableParallelism()) || 1);
const timeoutMs = Number(process.env.TEST_FILE_TIMEOUT_SECONDS ?? 900) * 1000;
const showAll = process.env.TEST_OUTPUT === 'all';
const counts = Object.fromEntries(databases.map((d) => [d, jobs.filter((j) => j.database === d).length]));
console.log(`running ${jobs.length} test files (${databases.map((d) => `${counts[d]} on ${d === 'postgres' ? 'PostgreSQL' : 'embedded PGlite'}`).join(', ')}), ${concurrency} at a time`);

const running = new Set();
function stopAll(signal) {
  for (const child of running) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  process.exit(signal === 'SIGINT' ? 130 : 143);
}
process.on('SIGINT', () => stopAll('SIGINT'));
process.on('SIGTERM', () => stopAll('SIGTERM'));

/** The counts node's spec reporter prints at the end (ℹ tests 12, ℹ pass 12, ...). */
function summaryCounts(output) {
  const pick = (name) => {
    const all = [...output.matchAll(new RegExp(`^ℹ ${name} (\\d+)$`, 'gm'))];
    return all.length ? Number(all[all.length - 1][1]) : null;
  };
  return { tests: pick('tests'), pass: pick('pass'), fail: pick('fail'), cancelled: pick('cancelled'), skipped: pick('skipped'), todo: pick('todo') };
}

function runJob(job) {
  return new Promise((resolve) => {
    const env = { ...process.env, NODE_ENV: 'test' };
    if (job.database === 'postgres') {
      env.DATABASE_URL = postgresUrl;
    } else {
      delete env.DATABASE_URL;
    }
    delete env.TEST_DATABASES;
    const started = Date.now();
    // Its own process group: a file that hangs is stopped with the gateways and browsers it started.
    const child = spawn(process.execPath, ['--test', '--test-reporter=spec', job.file], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      const output = Buffer.concat(chunks).toString();
      const c = summaryCounts(output);
      let problem = null;
      if (timedOut) {
        problem = `stopped after ${timeoutMs / 1000} s (TEST_FILE_TIMEOUT_SECONDS)`;
      } else if (code !== 0) {
        problem = signal ? `killed by ${signal}` : `exit code ${code}`;
      } else if (c.tests === null || c.tests === 0) {
        problem = 'no tests ran';
      } else if (c.fail || c.cancelled) {
        problem = `${c.fail} failed, ${c.cancelled} cancelled`;
      }
      resolve({ ...job, seconds: (Date.now() - started) / 1000, output, counts: c, problem });
    });
  });
}

const results = [];
const queue = [...jobs];
const runStarted = Date.now();
async function worker() {
  for (let job = queue.shift(); job; job = queue.shift()) {
    const r = await runJob(job);
    results.push(r);
    const mark = r.problem ? '✖' : '✔';
    const done = `[${results.length}/${jobs.length}]`;
    console.log(`${mark} ${done} ${r.database.padEnd(8)} ${short(r.file)}  ${r.counts.tests ?? 0} tests, ${r.seconds.toFixed(1)} s${r.problem ? `  (${r.problem})` : ''}`);
    if (showAll) {
      console.log(r.output);
    }
  }
}
await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, () => worker()));
const wall = (Date.now() - runStarted) / 1000;

const failed = results.filter((r) => r.problem);
for (const r of failed) {
  console.log(`\n${'='.repeat(100)}\n✖ ${r.database} ${short(r.file)}: ${r.problem}\n${'='.repeat(100)}\n${r.output}`);
}

console.log(`\n${'-'.repeat(100)}\nsummary (slowest first)`);
for (const r of [...results].sort((a, b) => b.seconds - a.seconds)) {
  const c = r.counts;
  console.log(`${r.problem ? 'FAIL' : 'pass'}  ${r.seconds.toFixed(1).padStart(6)} s  ${r.database.padEnd(8)} ${short(r.file)}  ${c.pass ?? 0}/${c.tests ?? 0} passed${c.skipped ? `, ${c.skipped} skipped` : ''}${c.todo ? `, ${c.todo} todo` : ''}${r.problem ? `  (${r.problem})` : ''}`);
}
for (const d of databases) {
  const mine = results.filter((r) => r.database === d);
  const sum = (k) => mine.reduce((n, r) => n + (r.counts[k] ?? 0), 0);
  console.log(`${d}: ${mine.length} files (${mine.filter((r) => r.problem).length} failed), ${sum('tests')} tests: ${sum('pass')} passed, ${sum('fail')} failed, ${sum('cancelled')} cancelled, ${sum('skipped')} skipped, ${sum('todo')} todo; ${mine.reduce((n, r) => n + r.seconds, 0).toFixed(0)} s of file time`);
}
console.log(`${results.length} files in ${wall.toFixed(0)} s wall time, ${concurrency} at a time: ${failed.length === 0 ? 'all passed' : `${failed.length} FAILED: ${failed.map((r) => `${r.database} ${short(r.file)}`).join(', ')}`}`);
// The cause again, last, where a reader of only the end of a long log sees it: each failed file's
// "failing tests" section from node's spec reporter (the test, its error and the first frames).
for (const r of failed) {
  const at = r.output.lastIndexOf('✖ failing tests:');
  const cause = at >= 0 ? r.output.slice(at).split('\n').slice(1, 41).join('\n') : r.output.split('\n').slice(-40).join('\n');
  console.log(`\nwhy ${r.database} ${short(r.file)} failed (${r.problem}):\n${cause.trimEnd()}`);
}

if (updateTimes) {
  for (const r of results.filter((x) => !x.problem)) {
    times[r.database] ??= {};
    times[r.database][short(r.file)] = Math.round(r.seconds * 10) / 10;
  }
  const sorted = Object.fromEntries(
    Object.keys(times)
      .sort()
      .map((d) => [d, Object.fromEntries(Object.entries(times[d]).sort(([a], [b]) => a.localeCompare(b)))]),
  );
  writeFileSync(TIMES_FILE, `${JSON.stringify(sorted, null, 2)}\n`);
  console.log(`recorded the times of ${results.length - failed.length} files in ${TIMES_FILE}`);
}
process.exit(failed.length === 0 ? 0 : 1);
