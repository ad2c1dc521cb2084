/** Reading processes and the host from /proc (Linux): memory high-water marks, CPU time, load. */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const CLK_TCK = 100; // USER_HZ: 100 on every Linux architecture Node supports

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** A `kB` field of /proc/<pid>/status (VmHWM, VmRSS...), in bytes; null once the process is gone. */
export function statusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  const status = readOrNull(`/proc/${pid}/status`);
  const m = status ? new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status) : null;
  return m ? Number(m[1]) * 1024 : null;
}

/**
 * Resets the peak RSS (VmHWM) of `pid` to its current RSS (`echo 5 > /proc/<pid>/clear_refs`,
 * Linux ≥ 4.0). Returns false where that is not allowed; the peak then covers the process's whole life.
 */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** User + system CPU seconds consumed so far by `pid` (0 once it is gone). */
export function cpuSeconds(pid: number): number {
  const stat = readOrNull(`/proc/${pid}/stat`);
  if (!stat) {
    return 0;
  }
  // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/**
 * User + system CPU seconds of `pid` and of its children that it has waited for (sshd's listener:
 * every connection's processes, once they have ended and been reaped); 0 once it is gone.
 */
export function cpuSecondsWithChildren(pid: number): number {
  const stat = readOrNull(`/proc/${pid}/stat`);
  if (!stat) {
    return 0;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / CLK_TCK;
}

/** Total CPU seconds of several processes. */
export function cpuSecondsOf(pids: readonly number[]): number {
  return pids.reduce((n, p) => n + cpuSeconds(p), 0);
}

/** The direct children of `pid` (nginx workers under their master). */
export function childrenOf(pid: number): number[] {
  const kids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    const stat = readOrNull(`/proc/${name}/stat`);
    if (stat && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) {
      kids.push(Number(name));
    }
  }
  return kids;
}

/**
 * The pid of the process whose command line contains `argv` and whose environment holds
 * `VAR=value` (the gateway child of a TestGateway: its entry point and its DATA_DIR).
 */
export function findProcess(argv: string, env: string): number | null {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) {
      continue;
    }
    const cmdline = readOrNull(`/proc/${name}/cmdline`);
    if (!cmdline || !cmdline.split('\0').some((a) => a.endsWith(argv))) {
      continue;
    }
    const environ = readOrNull(`/proc/${name}/environ`);
    if (environ?.split('\0').includes(env)) {
      return Number(name);
    }
  }
  return null;
}

/** Host-wide CPU counters (all cores), to tell how busy the machine was during a measurement. */
export interface HostCpu {
  readonly busy: number;
  readonly total: number;
}

export function hostCpu(): HostCpu {
  const line = (readOrNull('/proc/stat') ?? '').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
}

/** How many of the host's cores were busy between two samples, on average (0..cores). */
export function coresBusy(a: HostCpu, b: HostCpu, cores: number): number {
  const total = b.total - a.total;
  return total > 0 ? ((b.busy - a.busy) / total) * cores : 0;
}

export function loadAverage(): string {
  return (readOrNull('/proc/loadavg') ?? '').split(' ').slice(0, 3).join(' ');
}
