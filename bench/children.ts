/** The baseline servers, each in a child process of its own so that its memory and CPU are its own. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ChildServer {
  readonly port: number;
  readonly pid: number;
  readonly url: string;
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Starts `servers/<name>.js` with `args` and waits for the `{"port":N}` line it prints. */
export async function startChildServer(name: 'bare-download' | 'bare-upload', args: string[]): Promise<ChildServer> {
  const proc: ChildProcess = spawn(process.execPath, [join(here, 'servers', `${name}.js`), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 10 s: ${err}`)), 10_000);
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}: ${err}`));
    });
  });
  return {
    port,
    pid: proc.pid!,
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        return;
      }
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      await gone;
    },
  };
}
