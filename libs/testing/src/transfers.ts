import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';

const MiB = 1024 * 1024;

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

/**
 * A download whose connection is lost once at least `bytes` arrived: what arrived is written to
 * `file` (as a download manager keeps it), the socket is destroyed, and the count is answered.
 * Unlike a rate-limited curl, it always stops early, whatever the machine's load.
 */
export function interruptedDownload(url: string, file: string, bytes: number, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      let n = 0;
      res.on('error', () => undefined);
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        n += c.length;
        if (n >= bytes) {
          res.destroy();
          req.destroy();
          writeFileSync(file, Buffer.concat(chunks));
          resolve(n);
        }
      });
      res.on('end', () => reject(new Error(`the download ended after ${n} bytes, before it could be interrupted`)));
    });
    req.on('error', (err) => {
      if (!req.destroyed) {
        reject(err);
      }
    });
  });
}

/** unzip's own test of an archive: answers its output, and fails unless it found no errors. */
export function unzipTest(zipPath: string): string {
  const r = spawnSync('unzip', ['-t', zipPath], { encoding: 'utf8', maxBuffer: 16 * MiB });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /No errors detected/);
  return r.stdout;
}

/** The `Cookie` header a browser would send from curl's cookie jar (`-c`), for requests made without curl. */
export function cookieHeaderFromJar(jar: string): string {
  return readFileSync(jar, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && (!line.startsWith('#') || line.startsWith('#HttpOnly_')))
    .map((line) => line.split('\t'))
    .filter((fields) => fields.length >= 7)
    .map((fields) => `${fields[5]}=${fields[6]}`)
    .join('; ');
}
