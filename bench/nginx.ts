/**
 * nginx as the reference file server: installed from Debian when missing, run as a private
 * instance (own config, pid and logs in a temporary directory) on a free loopback port.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@mft/testing';
import { childrenOf } from './proc.js';

const CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];

function findNginx(): string | null {
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  const onPath = which.status === 0 ? which.stdout.trim() : '';
  return onPath || CANDIDATES.find((p) => existsSync(p)) || null;
}

/** The nginx binary, installing the Debian package if needed (nginx-light, else nginx). */
export function ensureNginx(log: (line: string) => void): { path: string | null; note: string } {
  const found = findNginx();
  if (found) {
    return { path: found, note: 'already installed' };
  }
  if (process.getuid?.() !== 0) {
    return { path: null, note: 'nginx is not installed and installing it needs root (apt-get install nginx-light)' };
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args: string[]): boolean => {
    log(`  apt-get ${args.join(' ')}`);
    const r = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
    return r.status === 0;
  };
  for (const attempt of [['nginx-light'], ['nginx']]) {
    if (apt('install', '-y', '--no-install-recommends', ...attempt) && findNginx()) {
      return { path: findNginx(), note: `installed ${attempt[0]} from Debian` };
    }
    if (apt('update') && apt('install', '-y', '--no-install-recommends', ...attempt) && findNginx()) {
      return { path: findNginx(), note: `installed ${attempt[0]} from Debian` };
    }
  }
  return { path: null, note: 'apt-get could not install nginx-light or nginx' };
}

export function nginxVersion(path: string): string {
  const r = spawnSync(path, ['-v'], { encoding: 'utf8' });
  return (r.stderr || r.stdout).trim().replace(/^nginx version:\s*/, '');
}

export interface NginxInstance {
  readonly port: number;
  readonly url: string;
  /** The master and its workers. */
  pids(): number[];
  stop(): Promise<void>;
}

/** Serves the files under `root` with `sendfile on`, until `stop()`. */
export async function startNginx(binary: string, root: string): Promise<NginxInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'mft-bench-nginx-'));
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    mkdirSync(join(dir, sub));
  }
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    [
      'daemon off;',
      'master_process on;',
      // The stored copies are private to the gateway's user (mode 0600): the workers read them as that user.
      process.getuid?.() === 0 ? 'user root;' : '',
      'worker_processes auto;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} warn;`,
      'events { worker_connections 1024; }',
      'http {',
      '  access_log off;',
      '  sendfile on;',
      '  tcp_nopush on;',
      '  keepalive_timeout 65;',
      '  default_type application/octet-stream;',
      `  client_body_temp_path ${join(dir, 'client_body')};`,
      `  proxy_temp_path ${join(dir, 'proxy')};`,
      `  fastcgi_temp_path ${join(dir, 'fastcgi')};`,
      `  uwsgi_temp_path ${join(dir, 'uwsgi')};`,
      `  scgi_temp_path ${join(dir, 'scgi')};`,
      '  server {',
      `    listen 127.0.0.1:${port};`,
      `    root ${root};`,
      '    location / { }',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  const proc: ChildProcess = spawn(binary, ['-p', `${dir}/`, '-e', join(dir, 'error.log'), '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`nginx exited with ${proc.exitCode}: ${err}`);
    }
    try {
      await (await fetch(`http://127.0.0.1:${port}/`)).arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`nginx did not answer on port ${port}: ${err}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    pids: () => [proc.pid!, ...childrenOf(proc.pid!)],
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise<void>((r) => proc.once('exit', () => r()));
        proc.kill('SIGQUIT'); // graceful: the master stops its workers, then exits
        const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
