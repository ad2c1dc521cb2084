/**
 * The gateway (`apps/main.ts`) under the V8 sampling profiler, for `BENCH_PROFILE=<dir>`. The
 * benchmark ends a phase by creating `<dir>/<label>.cut`; the profile of the main thread since
 * the previous cut is then written to `<dir>/<label>.cpuprofile` and the `.cut` file removed.
 * (Signals are not used: the gateway's shutdown hooks treat SIGUSR2 as a stop request.)
 * Open the files in Chrome DevTools, or let `run.ts` print the hottest functions.
 */
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

const dir = process.env.BENCH_PROFILE;
if (dir) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  let busy = false;
  const timer = setInterval(() => {
    if (busy || !existsSync(dir)) {
      return;
    }
    const cut = readdirSync(dir).find((f) => f.endsWith('.cut'));
    if (!cut) {
      return;
    }
    busy = true;
    void (async () => {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(join(dir, cut.replace(/\.cut$/, '.cpuprofile')), JSON.stringify(profile));
      rmSync(join(dir, cut), { force: true });
      await session.post('Profiler.start');
      busy = false;
    })();
  }, 100);
  timer.unref();
}
await import('../apps/main.js');
