/** The baseline servers and clients, each in a child process of its own so that its memory and CPU are its own. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ChildServer {
  readonly port: number;
  readonly pid: number;
  readonly url: string;
  stop(): Promise<void>;
}

/** A child that printed one JSON line when ready and then answers one JSON line per JSON line sent to it. */
export interface ChildWorker<Ready> {
  readonly ready: Ready;
  readonly pid: number;
  /** Sends `command` and resolves with the child's answer (an `{"error": "..."}` answer rejects). */
  request<T>(command: object): Promise<T>;
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));

type ChildName = 'bare-download' | 'bare-upload' | 'bare-s3' | 's3-store' | 'health-poller';

/** Starts `servers/<name>.js` with `args` and waits for the first JSON line it prints. */
export async function startChild<Ready>(name: ChildName, args: string[]): Promise<ChildWorker<Ready>> {
  const proc: ChildProcess = spawn(process.execPath, [join(here, 'servers', `${name}.js`), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  proc.stdin!.on('error', () => undefined); // a child that died is reported through its exit
  const lines: string[] = [];
  const waiting: Array<{ resolve: (line: string) => void; reject: (e: Error) => void }> = [];
  let exited: Error | null = null;
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      const w = waiting.shift();
      if (w) {
        w.resolve(line);
      } else {
        lines.push(line);
      }
    }
  });
  proc.once('exit', (code, signal) => {
    exited = new Error(`${name} exited with ${signal ?? code}: ${err.trim()}`);
    for (const w of waiting.splice(0)) {
      w.reject(exited);
    }
  });
  const nextLine = (timeoutMs: number | null): Promise<string> => {
    const ready = lines.shift();
    if (ready !== undefined) {
      return Promise.resolve(ready);
    }
    if (exited) {
      return Promise.reject(exited);
    }
    return new Promise<string>((resolve, reject) => {
      const timer = timeoutMs === null ? null : setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs / 1000} s: ${err}`)), timeoutMs);
      waiting.push({
        resolve: (line) => {
          if (timer) {
            clearTimeout(timer);
          }
          resolve(line);
        },
        reject: (e) => {
          if (timer) {
            clearTimeout(timer);
          }
          reject(e);
        },
      });
    });
  };
  const ready = JSON.parse(await nextLine(20_000)) as Ready;
  return {
    ready,
    pid: proc.pid!,
    request: async <T>(command: object): Promise<T> => {
      proc.stdin!.write(`${JSON.stringify(command)}\n`);
      const answer = JSON.parse(await nextLine(null)) as T & { error?: string };
      if (typeof answer.error === 'string') {
        throw new Error(`${name}: ${answer.error}`);
      }
      return answer;
    },
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        return;
      }
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Starts `servers/<name>.js` with `args` and waits for the `{"port":N}` line it prints. */
export async function startChildServer(name: 'bare-download' | 'bare-upload', args: string[]): Promise<ChildServer> {
  const child = await startChild<{ port: number }>(name, args);
  const port = child.ready.port;
  return { port, pid: child.pid, url: `http://127.0.0.1:${port}`, stop: () => child.stop() };
}
