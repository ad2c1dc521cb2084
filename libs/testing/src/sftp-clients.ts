import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A client key pair made by OpenSSH's ssh-keygen, for signing in to the SFTP ingress. */
export interface ClientKey {
  readonly privateKeyFile: string;
  /** The public key line (`ssh-ed25519 AAAA... comment`). */
  readonly publicKey: string;
}

/** Makes a key pair with `ssh-keygen` (no passphrase) in a new temporary folder. */
export function generateClientKey(type: 'ed25519' | 'ecdsa' | 'rsa' | 'dsa' = 'ed25519', bits?: number): ClientKey {
  const dir = mkdtempSync(join(tmpdir(), 'mft-key-'));
  const file = join(dir, `id_${type}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-C', `mft-test-${type}`, '-f', file], { stdio: 'ignore' });
  return { privateKeyFile: file, publicKey: readFileSync(`${file}.pub`, 'utf8').trim() };
}

export interface SftpTarget {
  readonly port: number;
  readonly user: string;
  readonly key: ClientKey;
  /** Public key lines of the host (from GET /api/v1/sftp/host-key) to pin; without them any host key is taken. */
  readonly hostKeys?: readonly string[];
  /** More `-o` options, e.g. `Ciphers=aes128-gcm@openssh.com`. */
  readonly options?: readonly string[];
}

function sftpArgs(t: SftpTarget): string[] {
  // ssh takes the first value given for an option: the caller's come first.
  const opts = [...(t.options ?? []), 'BatchMode=yes', 'IdentitiesOnly=yes', 'LogLevel=ERROR', 'ConnectTimeout=10'];
  if (t.hostKeys) {
    const dir = mkdtempSync(join(tmpdir(), 'mft-kh-'));
    const file = join(dir, 'known_hosts');
    writeFileSync(file, t.hostKeys.map((k) => `[127.0.0.1]:${t.port} ${k}`).join('\n') + '\n');
    opts.push(`UserKnownHostsFile=${file}`, 'StrictHostKeyChecking=yes');
  } else {
    opts.push('UserKnownHostsFile=/dev/null', 'StrictHostKeyChecking=no');
  }
  return ['-P', String(t.port), '-i', t.key.privateKeyFile, ...opts.flatMap((o) => ['-o', o]), '-b', '-', `${t.user}@127.0.0.1`];
}

export interface SftpResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs OpenSSH's `sftp` in batch mode with `commands` (one per line; a leading `-` lets a command
 * fail without ending the batch, as in sftp(1)) and resolves with its exit code and output.
 */
export function runSftp(target: SftpTarget, commands: readonly string[], timeoutMs = 60_000): Promise<SftpResult> {
  const { child, done } = startSftp(target, commands, timeoutMs);
  void child;
  return done;
}

/** Like `runSftp`, with the child process at hand (to kill it mid-transfer). */
export function startSftp(target: SftpTarget, commands: readonly string[], timeoutMs = 60_000): { child: ChildProcess; done: Promise<SftpResult> } {
  const child = spawn('sftp', sftpArgs(target), { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(`${commands.join('\n')}\n`);
  const done = new Promise<SftpResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sftp did not finish in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, done };
}
