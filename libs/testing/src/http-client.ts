import { request } from 'node:http';

export interface CreatedLinkResponse {
  id: string;
  kind: string;
  expiresAt: string | null;
  grants: Array<{ id: string; recipient: string | null; url: string }>;
}

export interface UploadFile {
  readonly name: string;
  readonly content: Buffer | string;
  readonly type?: string;
}

/** Headers of an API call with a JSON body: the bearer token, the content type, and any `extra`. */
export const jsonHeaders = (token: string, extra: Record<string, string> = {}): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  'content-type': 'application/json',
  ...extra,
});

/** POST /api/v1/links with multipart/form-data, as a client would. */
export async function createSendLink(
  baseUrl: string,
  token: string,
  files: readonly UploadFile[],
  fields: Record<string, string> = {},
): Promise<{ status: number; body: CreatedLinkResponse & { code?: string; message?: string } }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    form.append(k, v);
  }
  for (const f of files) {
    form.append('file', new Blob([f.content], { type: f.type ?? 'application/octet-stream' }), f.name);
  }
  const res = await fetch(`${baseUrl}/api/v1/links`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  return { status: res.status, body: (await res.json()) as CreatedLinkResponse & { code?: string; message?: string } };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * A plain HTTP/1.1 request that reads the whole body (or stops after `abortAfter` bytes, leaving
 * the connection cut mid-body, as a client that loses its network would).
 */
export function rawRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; abortAfter?: number; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let got = 0;
      res.on('data', (c: Buffer) => {
        if (opts.abortAfter !== undefined && got + c.length >= opts.abortAfter) {
          chunks.push(c.subarray(0, opts.abortAfter - got));
          got = opts.abortAfter;
          res.destroy();
          req.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
          return;
        }
        chunks.push(c);
        got += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (opts.body) {
      req.write(opts.body);
    }
    req.end();
  });
}

/** The session cookie a response set, as a Cookie header value. */
export function sessionCookie(res: RawResponse | Response): string {
  const raw = res instanceof Response ? res.headers.getSetCookie() : ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  return raw.map((c) => c.split(';')[0]).join('; ');
}

/**
 * Requests `url` until it answers `status` (at most `ms`). The server records a delivery right after
 * the last byte leaves it, so a request sent the same instant may still see the claim as live (on a
 * loaded machine, for a while).
 */
export async function eventuallyStatus(url: string, status: number, init: RequestInit = {}, ms = 15_000): Promise<Response> {
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await fetch(url, init);
    if (res.status === status || Date.now() > deadline) {
      return res;
    }
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Calls `probe` until `ok` holds for its result (at most `timeoutMs`); returns that result. */
export async function eventually<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) {
      return v;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
