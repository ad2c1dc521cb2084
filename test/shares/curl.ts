import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';

export const MiB = 1024 * 1024;

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs curl (`-s -S`, HTTP status on stdout) to completion, without blocking this process: the
 * test's own s3rver answers the gateway from here meanwhile.
 */
export function curl(args: readonly string[]): Promise<{ status: number | null; http: string; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-sS', '-w', '%{http_code}', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, http: stdout.slice(-3), out: `${stdout}${stderr}` }));
  });
}

/** Starts a slow curl download to `file` and kills it (as a lost connection would) once it has written at least `bytes`; answers how many it wrote. */
export async function interruptedCurl(args: readonly string[], file: string, bytes: number, rate = '2M'): Promise<number> {
  const child = spawn('curl', ['-sS', '--limit-rate', rate, ...args, '-o', file], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  while (!(existsSync(file) && statSync(file).size >= bytes)) {
    assert.ok(Date.now() < deadline, 'curl wrote nothing in 30 s');
    assert.equal(child.exitCode, null, 'curl finished before it was interrupted');
    await sleep(20);
  }
  child.kill('SIGKILL');
  await exited;
  return statSync(file).size;
}

/** unzip's own test of an archive: answers its output, and fails unless it found no errors. */
export function unzipTest(zipPath: string): string {
  const r = spawnSync('unzip', ['-t', zipPath], { encoding: 'utf8', maxBuffer: 16 * MiB });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /No errors detected/);
  return r.stdout;
}
