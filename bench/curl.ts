/**
 * The benchmark client: curl, one process per connection, writing to /dev/null. The same client
 * (same binary, same options) measures every server, and it never goes through a proxy.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const COMMON = ['--silent', '--show-error', '--noproxy', '*', '--http1.1'];

/** One finished transfer as curl reports it. */
export interface Transfer {
  readonly status: number;
  /** Body bytes received (downloads) or sent (uploads). */
  readonly bytes: number;
  /** From the start of the request to the last byte of the answer, seconds. */
  readonly seconds: number;
  /** From the start of the request to the first byte of the answer, seconds. */
  readonly firstByte: number;
}

/** Several transfers (possibly on several connections) timed together. */
export interface Timed {
  readonly bytes: number;
  readonly seconds: number;
  /** Seconds to the first byte of the answer, where that means something (one transfer). */
  readonly firstByte?: number;
  /** CPU seconds of processes that ended within the transfer and belong to the figure (the `sftp` client). */
  readonly cpu?: number;
}

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('curl', [...COMMON, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`curl exited with ${code}: ${err.trim()}`))));
  });
}

const W_DOWN = '%{http_code} %{size_download} %{time_total} %{time_starttransfer}\\n';

function parseTransfers(out: string): Transfer[] {
  return out
    .trim()
    .split('\n')
    .map((line) => {
      const [status, bytes, seconds, firstByte] = line.trim().split(' ').map(Number);
      return { status: status!, bytes: bytes!, seconds: seconds!, firstByte: firstByte ?? NaN };
    });
}

function check(t: Transfer, expectBytes: number, what: string): void {
  if (t.status < 200 || t.status > 299 || t.bytes !== expectBytes) {
    throw new Error(`${what}: HTTP ${t.status}, ${t.bytes} bytes (expected ${expectBytes})`);
  }
}

/** GETs `url` `times` times in a row on one connection; each transfer is checked to carry `size` bytes. */
export async function download(url: string, size: number, times = 1): Promise<Transfer[]> {
  const args: string[] = ['--write-out', W_DOWN];
  for (let i = 0; i < times; i++) {
    args.push('--output', '/dev/null', url);
  }
  const transfers = parseTransfers(await run(args));
  if (transfers.length !== times) {
    throw new Error(`download ${url}: curl reported ${transfers.length} transfers, expected ${times}`);
  }
  transfers.forEach((t) => check(t, size, `download ${url}`));
  return transfers;
}

/**
 * `clients` curl processes at once, each GETting `url` `times` times. Aggregate throughput is
 * every byte over the wall time from the first spawn to the last exit.
 */
export async function parallelDownload(url: string, size: number, clients: number, times = 1): Promise<Timed> {
  const t0 = performance.now();
  const all = await Promise.all(Array.from({ length: clients }, () => download(url, size, times)));
  const seconds = (performance.now() - t0) / 1000;
  return { bytes: all.flat().reduce((n, t) => n + t.bytes, 0), seconds };
}

/** POSTs `file` as the raw body (Content-Length, no `Expect: 100-continue`); returns the transfer and the answer. */
export async function uploadRaw(url: string, file: string, size: number): Promise<{ transfer: Transfer; body: string }> {
  const out = await run([
    '--request', 'POST', '--upload-file', file, '--header', 'Expect:', '--header', 'Content-Type: application/octet-stream',
    '--output', '-', '--write-out', '\\n%{http_code} %{size_upload} %{time_total} %{time_starttransfer}\\n', url,
  ]);
  return split(out, size, `upload ${url}`);
}

/** POSTs `file` as the one file part (field `file`) of a multipart/form-data body. */
export async function uploadMultipart(
  url: string,
  file: string,
  size: number,
  headers: Record<string, string>,
  fields: Record<string, string> = {},
): Promise<{ transfer: Transfer; body: string }> {
  const args = ['--header', 'Expect:'];
  for (const [k, v] of Object.entries(fields)) {
    args.push('--form-string', `${k}=${v}`);
  }
  args.push('--form', `file=@${file};filename=bench.bin;type=application/octet-stream`);
  for (const [k, v] of Object.entries(headers)) {
    args.push('--header', `${k}: ${v}`);
  }
  const out = await run([...args, '--output', '-', '--write-out', '\\n%{http_code} %{size_upload} %{time_total} %{time_starttransfer}\\n', url]);
  // The multipart envelope adds a few hundred bytes around the file.
  const { transfer, body } = split(out, null, `upload ${url}`);
  if (transfer.status !== 201 || transfer.bytes < size) {
    throw new Error(`upload ${url}: HTTP ${transfer.status}, ${transfer.bytes} bytes sent: ${body.slice(0, 500)}`);
  }
  return { transfer, body };
}

function split(out: string, size: number | null, what: string): { transfer: Transfer; body: string } {
  const trimmed = out.replace(/\n$/, '');
  const cut = trimmed.lastIndexOf('\n');
  const body = trimmed.slice(0, cut);
  const [transfer] = parseTransfers(trimmed.slice(cut + 1));
  if (size !== null) {
    if (transfer!.status < 200 || transfer!.status > 299 || transfer!.bytes !== size) {
      throw new Error(`${what}: HTTP ${transfer!.status}, ${transfer!.bytes} bytes sent: ${body.slice(0, 500)}`);
    }
  }
  return { transfer: transfer!, body };
}
