/** Pieces shared by the benchmark and the probe: sizes, test files, the gateway's GC counters. */
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

export function parseSize(text: string, variable = 'BENCH_SIZES'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMG]?)i?B?\s*$/i.exec(text);
  if (!m) {
    throw new Error(`${variable}: cannot read the size ${JSON.stringify(text)} (examples: 64M, 1G)`);
  }
  const unit = { '': 1, K: KiB, M: MiB, G: GiB }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Math.round(Number(m[1]) * unit);
}

/** Garbage-collection counters of a gateway, read from its Prometheus metrics (`nodejs_gc_duration_seconds`). */
export interface GcCounters {
  /** Major (mark-compact) collections so far. */
  readonly major: number;
  /** Seconds of GC pauses so far, every kind. */
  readonly seconds: number;
}

export async function gcCounters(metricsUrl: string): Promise<GcCounters | null> {
  try {
    const text = await (await fetch(metricsUrl)).text();
    let major = 0;
    let seconds = 0;
    for (const line of text.split('\n')) {
      const count = /^nodejs_gc_duration_seconds_count\{[^}]*kind="major"[^}]*\} (\S+)/.exec(line);
      if (count) {
        major += Number(count[1]);
      }
      const sum = /^nodejs_gc_duration_seconds_sum\{[^}]*\} (\S+)/.exec(line);
      if (sum) {
        seconds += Number(sum[1]);
      }
    }
    return { major, seconds };
  } catch {
    return null;
  }
}

/** Writes `size` random bytes to `path`; returns their SHA-256. */
export function makeFile(path: string, size: number): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(8 * MiB);
  const fd = openSync(path, 'w', 0o600);
  try {
    for (let left = size; left > 0; ) {
      const n = Math.min(left, buf.length);
      const chunk = buf.subarray(0, n);
      randomFillSync(chunk);
      hash.update(chunk);
      writeSync(fd, chunk);
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
