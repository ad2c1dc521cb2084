import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { join, relative, sep } from 'node:path';
import type { TestGateway } from './gateway-process.js';

const MiB = 1024 * 1024;

/**
 * Calls `probe` until it returns a truthy value and returns that value. Gives up after `ms` with an
 * error that says what was awaited (and, with `detail`, what was seen last).
 */
export async function waitFor<T>(
  probe: () => Promise<T> | T,
  opts: { what: string; ms?: number; every?: number; detail?: () => string | Promise<string> },
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.ms ?? 15_000);
  for (;;) {
    const value = await probe();
    if (value) {
      return value as NonNullable<T>;
    }
    if (Date.now() > deadline) {
      const detail = opts.detail ? `; last seen: ${await opts.detail()}` : '';
      throw new Error(`timed out waiting for ${opts.what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, opts.every ?? 100));
  }
}

/** `promise`'s value, or an error naming `what` if it has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every regular file under `dir` (recursively) with its size; paths are relative to `dir`, with '/'. */
export function regularFilesUnder(dir: string): Array<{ path: string; size: number }> {
  const out: Array<{ path: string; size: number }> = [];
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return;
      }
      throw err;
    }
    for (const e of entries) {
      const full = join(d, e.name);
      if (e.isDirectory()) {
        walk(full);
      } else if (e.isFile()) {
        try {
          out.push({ path: relative(dir, full).split(sep).join('/'), size: statSync(full).size });
        } catch (err) {
          // Removed between the listing and the stat: it is gone, which is what callers wait for.
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
            throw err;
          }
        }
      }
    }
  };
  walk(dir);
  return out;
}

/** The file the readiness check writes into the storage staging area; it holds no upload bytes. */
const READINESS_PROBE = '.staging/.ping';

/** The bytes a gateway holds in its local storage (`<DATA_DIR>/files`), except the readiness probe. */
export function storedFiles(gw: TestGateway): Array<{ path: string; size: number }> {
  return regularFilesUnder(join(gw.dataDir, 'files')).filter((f) => f.path !== READINESS_PROBE);
}

/** Upload bytes still being written: regular files in the staging area, except the readiness probe. */
export function stagedFiles(gw: TestGateway): Array<{ path: string; size: number }> {
  return storedFiles(gw).filter((f) => f.path.startsWith('.staging/'));
}

/** The same path and query on `gw` (a relaunched gateway or another replica listens on its own port). */
export function onGateway(gw: TestGateway, url: string): string {
  const u = new URL(url);
  return `${gw.baseUrl}${u.pathname}${u.search}`;
}

/** A download that received its headers and the start of its body, then stopped reading. */
export interface StalledDownload {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The session cookie the response set, as a Cookie header value ('' if none). */
  readonly cookie: string;
  /** The body bytes received before reading stopped. */
  readonly received: Buffer;
  /** Whether the whole body had already arrived (then the download was not in flight). */
  readonly ended: () => boolean;
  /** Cuts the connection. */
  close(): void;
}

/**
 * Starts a GET and reads about `readBytes` of the body, then stops reading but keeps the connection
 * open, as a recipient whose network stalls: the server stays blocked mid-response, the download in
 * flight. Errors after that point (the server dying) are swallowed.
 */
export function stalledDownload(url: string, opts: { readBytes: number; headers?: Record<string, string> }): Promise<StalledDownload> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const req = request(url, { method: 'GET', headers: opts.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let got = 0;
      let ended = false;
      const cookie = ([] as string[])
        .concat(res.headers['set-cookie'] ?? [])
        .map((c) => c.split(';')[0])
        .join('; ');
      const done = (): void => {
        if (settled) {
          return;
        }
        settled = true;
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          cookie,
          received: Buffer.concat(chunks),
          ended: () => ended,
          close: () => {
            res.destroy();
            req.destroy();
          },
        });
      };
      res.on('error', () => undefined);
      res.on('end', () => {
        ended = true;
        done();
      });
      res.on('data', (c: Buffer) => {
        if (settled) {
          return;
        }
        chunks.push(c);
        got += c.length;
        if (got >= opts.readBytes) {
          res.pause();
          done();
        }
      });
    });
    req.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
    req.end();
  });
}

/** A multipart upload to `POST /api/v1/links` that sends only part of the body it declared. */
export interface PartialUpload {
  /** Resolves once `sendBytes` of file content were handed to the socket (or the connection died). */
  readonly sent: Promise<void>;
  /** The answer, if the server sent one before the connection ended; null otherwise. */
  readonly response: Promise<{ status: number; body: string } | null>;
  /** How many file-content bytes were handed to the socket so far. */
  readonly sentBytes: () => number;
  /** Cuts the connection, as a client that goes away mid-upload. */
  close(): void;
}

/**
 * Starts a one-file multipart upload whose Content-Length announces `declaredBytes` of file content,
 * writes `sendBytes` of it (respecting back-pressure) and then keeps the connection open without
 * sending more, until `close()`. With sendBytes >= declaredBytes the body is complete.
 */
export function partialUpload(
  baseUrl: string,
  token: string,
  opts: { declaredBytes: number; sendBytes: number; fileName?: string; fields?: Record<string, string> },
): PartialUpload {
  const boundary = `----mft-test-${randomBytes(8).toString('hex')}`;
  let head = '';
  for (const [k, v] of Object.entries(opts.fields ?? {})) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  }
  head += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${opts.fileName ?? 'big.bin'}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const length = Buffer.byteLength(head) + opts.declaredBytes + Buffer.byteLength(tail);
  const toSend = Math.min(opts.sendBytes, opts.declaredBytes);
  const chunk = randomBytes(MiB);

  let written = 0;
  let dead = false;
  let answered = false;
  let resolveResponse!: (v: { status: number; body: string } | null) => void;
  const response = new Promise<{ status: number; body: string } | null>((r) => (resolveResponse = r));
  const req = request(`${baseUrl}/api/v1/links`, {
    method: 'POST',
    agent: false,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(length),
    },
  });
  req.on('response', (res) => {
    answered = true;
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolveResponse({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    res.on('error', () => resolveResponse({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
  });
  req.on('error', () => {
    dead = true;
    if (!answered) {
      resolveResponse(null);
    }
  });
  req.on('close', () => {
    dead = true;
    if (!answered) {
      resolveResponse(null);
    }
  });

  const sent = (async () => {
    const waitDrain = (): Promise<void> =>
      new Promise((r) => {
        const done = (): void => {
          req.off('drain', done);
          req.off('close', done);
          r();
        };
        req.on('drain', done);
        req.on('close', done);
      });
    if (!req.write(head)) {
      await waitDrain();
    }
    while (written < toSend && !dead && !answered) {
      const n = Math.min(chunk.length, toSend - written);
      const ok = req.write(n === chunk.length ? chunk : chunk.subarray(0, n));
      written += n;
      if (!ok) {
        await waitDrain();
      }
    }
    if (written >= opts.declaredBytes && !dead && !answered) {
      req.end(tail);
    }
  })();

  return {
    sent,
    response,
    sentBytes: () => written,
    close: () => {
      req.destroy();
    },
  };
}

/** Audit events of one type, read through the API with an admin or auditor token. */
export async function auditEvents(gw: TestGateway, token: string, type: string): Promise<Array<Record<string, unknown>>> {
  const res = await fetch(`${gw.baseUrl}/api/v1/audit/events?format=jsonl&type=${encodeURIComponent(type)}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) {
    throw new Error(`audit export answered ${res.status}: ${await res.text()}`);
  }
  return (await res.text())
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The links the token's user sees (`GET /api/v1/links`). */
export async function listLinks(gw: TestGateway, token: string): Promise<Array<{ id: string; status: string }>> {
  const res = await fetch(`${gw.baseUrl}/api/v1/links`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) {
    throw new Error(`GET /api/v1/links answered ${res.status}: ${await res.text()}`);
  }
  return (await res.json()) as Array<{ id: string; status: string }>;
}

/**
 * Stops a gateway and removes its data; if it has not exited `ms` after SIGTERM (a request stuck
 * in the product), kills it, so that one hang cannot stall the whole test run.
 */
export async function stopGateway(gw: TestGateway | undefined, ms = 20_000): Promise<void> {
  if (!gw) {
    return;
  }
  const graceful = gw.stop();
  try {
    await within(graceful, ms, 'the gateway to stop after SIGTERM');
  } catch {
    await gw.kill('SIGKILL');
    await graceful;
  }
}
