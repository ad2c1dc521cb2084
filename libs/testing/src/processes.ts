import { readdirSync, readFileSync } from 'node:fs';

/** The pids of the processes below `pid` (children, their children, ...), from /proc. */
export function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start after the last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const found: number[] = [];
  const todo = [pid];
  while (todo.length > 0) {
    for (const c of parents.get(todo.pop()!) ?? []) {
      found.push(c);
      todo.push(c);
    }
  }
  return found;
}

/** The descendants of `pid` whose command line contains `script`. */
export function descendantsRunning(pid: number, script: string): number[] {
  return descendantsOf(pid).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(script);
    } catch {
      return false;
    }
  });
}
