/**
 * The OpenSSH `sftp` client as the SFTP baseline: one SSH connection held open by a master
 * `ssh -M` (as the gateway keeps its SFTP connections pooled), and per download one
 * `sftp -b` batch whose `get` writes to /dev/null over a new channel of that connection
 * (`startSftpClient`); and `sftpBatch`, one `sftp -b` over a connection of its own with a chosen
 * cipher, for the SFTP ingress against OpenSSH's sshd.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Timed } from './curl.js';

export interface SftpTarget {
  readonly port: number;
  readonly username: string;
  /** The sshd's folder: `client_ed25519` (the private key) and `host_ed25519.pub` (the host key) are in it. */
  readonly dir: string;
}

export interface SftpClient {
  /** The master ssh process, which does the connection's encryption. */
  readonly masterPid: number;
  /** Downloads `remote` to /dev/null; `cpu` holds the CPU seconds of the sftp process and its ssh. */
  get(remote: string, size: number): Promise<Timed>;
  stop(): Promise<void>;
}

/** `0m1.234s` as seconds. */
const clock = (text: string): number => {
  const m = /^(\d+)m([\d.]+)s$/.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
};

export async function startSftpClient(t: SftpTarget, work: string): Promise<SftpClient> {
  const knownHosts = join(work, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${t.port} ${readFileSync(join(t.dir, 'host_ed25519.pub'), 'utf8')}`);
  const control = join(work, 'ssh-control');
  const common = [
    '-o', 'BatchMode=yes',
    '-o', `UserKnownHostsFile=${knownHosts}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', `ControlPath=${control}`,
    '-i', join(t.dir, 'client_ed25519'),
  ];
  const destination = `${t.username}@127.0.0.1`;
  const master: ChildProcess = spawn('ssh', ['-M', '-N', ...common, '-p', String(t.port), destination], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  master.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const deadline = Date.now() + 15_000;
  while (!existsSync(control)) {
    if (master.exitCode !== null || Date.now() > deadline) {
      master.kill('SIGKILL');
      throw new Error(`ssh could not connect to 127.0.0.1:${t.port}: ${err.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const batch = join(work, 'sftp-batch');
  return {
    masterPid: master.pid!,
    get: (remote, size) =>
      new Promise<Timed>((resolve, reject) => {
        writeFileSync(batch, `get "${remote}" /dev/null\n`);
        // bash's `times` prints the CPU time of the shell and then of its waited-for children (sftp and its ssh).
        const script = 'sftp -q -b "$1" -P "$2" "${@:3}" >/dev/null || exit $?; times';
        const t0 = performance.now();
        const p = spawn('bash', ['-c', script, 'sftp', batch, String(t.port), ...common, destination], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let perr = '';
        p.stdout.on('data', (c: Buffer) => (out += c.toString()));
        p.stderr.on('data', (c: Buffer) => (perr += c.toString()));
        p.on('error', reject);
        p.on('close', (code) => {
          const seconds = (performance.now() - t0) / 1000;
          if (code !== 0) {
            reject(new Error(`sftp get ${remote} exited with ${code}: ${perr.trim()}`));
            return;
          }
          const children = out.trim().split('\n').at(-1)!.trim().split(/\s+/).map(clock);
          resolve({ bytes: size, seconds, cpu: (children[0] ?? NaN) + (children[1] ?? NaN) });
        });
      }),
    stop: async () => {
      spawnSync('ssh', ['-o', `ControlPath=${control}`, '-O', 'exit', destination], { stdio: 'ignore', timeout: 10_000 });
      if (master.exitCode === null && master.signalCode === null) {
        const gone = new Promise<void>((r) => master.once('exit', () => r()));
        master.kill('SIGTERM');
        await gone;
      }
    },
  };
}

/** An SFTP server as OpenSSH's client reaches it afresh for every transfer (no master connection). */
export interface SftpEndpoint {
  readonly port: number;
  readonly username: string;
  readonly privateKeyFile: string;
  /** A known_hosts file that pins the server's host keys for `[127.0.0.1]:port`. */
  readonly knownHostsFile: string;
}

/**
 * Runs `sftp -b -` with `commands` over a new connection to `e` using `cipher`, and resolves with
 * the seconds from starting `sftp` to its exit (key exchange, sign-in and the transfer; for a put,
 * up to the server's answer to CLOSE). Rejects when sftp fails. No ssh configuration file is read.
 */
export function sftpBatch(e: SftpEndpoint, cipher: string, commands: readonly string[]): Promise<number> {
  const args = [
    '-q',
    '-F', '/dev/null',
    '-o', 'BatchMode=yes',
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${e.knownHostsFile}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'ControlMaster=no',
    '-o', 'ControlPath=none',
    '-o', `Ciphers=${cipher}`,
    '-i', e.privateKeyFile,
    '-P', String(e.port),
    '-b', '-',
    `${e.username}@127.0.0.1`,
  ];
  return new Promise<number>((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn('sftp', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    p.stdin!.on('error', () => undefined);
    p.stdin!.end(`${commands.join('\n')}\n`);
    p.on('error', reject);
    p.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) {
        reject(new Error(`sftp ${commands.join('; ')} on port ${e.port} (${cipher}) exited with ${code}: ${err.trim()}`));
        return;
      }
      resolve(seconds);
    });
  });
}
