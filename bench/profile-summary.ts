/** Reads a V8 .cpuprofile and lists where the main thread spent its time (self time). */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

/** Shortens a script URL to what tells where it is: the package, or the project file. */
function where(url: string): string {
  if (!url) {
    return '';
  }
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0) {
    return url.slice(dist + 1);
  }
  return url.replace(/^file:\/\//, '');
}

/**
 * Self time by function (top `limit`) and by place (node internals, each package, the project),
 * as a share of the time the main thread was not idle. Native functions (hashing, socket and file
 * calls) carry the time spent in them, kernel work included.
 */
export function summarize(file: string, limit = 15): { totalMs: number; busyMs: number; functions: HotSpot[]; places: HotSpot[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0)));
  const total = (profile.endTime - profile.startTime) / 1000;
  const fn = new Map<string, number>();
  const place = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const w = where(url);
    const key = w ? `${functionName || '(anonymous)'}  ${w}:${lineNumber + 1}` : functionName || '(anonymous)';
    fn.set(key, (fn.get(key) ?? 0) + us / 1000);
    const p = !url ? functionName : url.startsWith('node:') ? 'node: internals' : w.split(':')[0]!.startsWith('dist/') ? 'project code' : w;
    place.set(p, (place.get(p) ?? 0) + us / 1000);
  }
  const busy = total - (fn.get('(idle)') ?? 0);
  fn.delete('(idle)');
  place.delete('(idle)');
  const top = (m: Map<string, number>): HotSpot[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, ms]) => ({ name, ms, share: busy > 0 ? ms / busy : 0 }));
  return { totalMs: total, busyMs: busy, functions: top(fn), places: top(place) };
}
