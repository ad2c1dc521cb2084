/**
 * The gateway (`apps/main.ts`) with V8 flags that NODE_OPTIONS does not accept (`--trace-gc`,
 * `--trace-gc-verbose`...), set at start from `BENCH_V8_FLAGS`, and with `BENCH_MEMORY_LOG=<file>`
 * a line of `process.memoryUsage()` and of the garbage collections of the last 100 ms appended to
 * that file ten times a second. For `bench/probe.ts`.
 */
import { appendFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';

for (const flag of (process.env.BENCH_V8_FLAGS ?? '').split(/\s+/).filter(Boolean)) {
  setFlagsFromString(flag);
}
const log = process.env.BENCH_MEMORY_LOG;
if (log) {
  const MiB = 1024 * 1024;
  let minor = 0;
  let major = 0;
  let gcMs = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === 4) {
        major += 1;
      } else {
        minor += 1;
      }
      gcMs += e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  const t0 = Date.now();
  appendFileSync(log, 'ms rss heapUsed heapTotal external arrayBuffers minorGCs majorGCs gcMs\n');
  setInterval(() => {
    const m = process.memoryUsage();
    appendFileSync(
      log,
      `${Date.now() - t0} ${(m.rss / MiB).toFixed(1)} ${(m.heapUsed / MiB).toFixed(1)} ${(m.heapTotal / MiB).toFixed(1)} ${(m.external / MiB).toFixed(1)} ${(m.arrayBuffers / MiB).toFixed(1)} ${minor} ${major} ${gcMs.toFixed(1)}\n`,
    );
    minor = 0;
    major = 0;
    gcMs = 0;
  }, 100).unref();
}
await import('../apps/main.js');
