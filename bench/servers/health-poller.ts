/**
 * A /healthz poller in a process of its own, so that what it measures is the gateway's answer time
 * and not the benchmark's own event loop (which also runs and watches the clients). Arguments: the
 * URL and the interval in milliseconds. Prints `{"ready":true}`, then answers one JSON line per
 * command read from stdin:
 *   {"op":"start"}  starts polling (a fresh request every interval, several may be in flight)
 *   {"op":"stop"}   stops, waits for the requests in flight, and answers
 *                   `{"ms":[…],"failed":N,"lateMs":[…]}`: each round trip of a 200, the failures, and
 *                   how late each timer fired (the poller's own lag, to tell the two apart)
 */
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

const [url, intervalText] = process.argv.slice(2);
const interval = Number(intervalText);
if (!url || !(interval > 0)) {
  process.stderr.write('usage: health-poller <url> <interval ms>\n');
  process.exit(2);
}

let ms: number[] = [];
let lateMs: number[] = [];
let failed = 0;
let timer: NodeJS.Timeout | null = null;
const pending = new Set<Promise<void>>();

function poll(): void {
  const t0 = performance.now();
  const p = fetch(url!)
    .then(async (res) => {
      await res.arrayBuffer();
      if (res.status === 200) {
        ms.push(performance.now() - t0);
      } else {
        failed += 1;
      }
    })
    .catch(() => void (failed += 1))
    .finally(() => pending.delete(p));
  pending.add(p);
}

function start(): void {
  ms = [];
  lateMs = [];
  failed = 0;
  let due = performance.now() + interval;
  const tick = (): void => {
    const now = performance.now();
    lateMs.push(Math.max(0, now - due));
    due = Math.max(due + interval, now);
    timer = setTimeout(tick, due - now);
    poll();
  };
  timer = setTimeout(tick, interval);
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const command = JSON.parse(line) as { op: string };
  if (command.op === 'start') {
    start();
    process.stdout.write('{"started":true}\n');
  } else if (command.op === 'stop') {
    if (timer) {
      clearTimeout(timer);
    }
    void Promise.all([...pending]).then(() => process.stdout.write(`${JSON.stringify({ ms, failed, lateMs })}\n`));
  } else {
    process.stdout.write(`${JSON.stringify({ error: `unknown op ${command.op}` })}\n`);
  }
});
lines.on('close', () => process.exit(0));
process.stdout.write('{"ready":true}\n');
