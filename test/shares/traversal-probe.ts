import { request } from 'node:http';
import { TRAVERSAL_REFUSED as REFUSED } from '@mft/storage';

/** What the tests place next to a shared folder (and outside the connection): never a byte of it may be served. */
export const SECRET = 'SECRET-0f9d2c-never-served';

/**
 * Escapes that parse as ordinary paths: they must still land inside the share, where nothing
 * answers to them. The test places `/docs-private/secret.txt` next to the shared `/docs`, and
 * where the driver has symlinks, `outside-link` and `outside-dir` (to `/docs-private`) and
 * `outside-root`, `outside-root-dir` (out of the connection's root) inside `/docs`.
 */
export const ESCAPES = [
  '/docs-private/secret.txt',
  'docs-private/secret.txt',
  '/../docs-private/secret.txt',
  '/outside-link',
  '/outside-dir/secret.txt',
  '/outside-dir',
  '/outside-root',
  '/outside-root-dir',
  '/outside-root-dir/secret.txt',
  '/etc/passwd',
  '/.staging',
  '/send',
  '/tenant-private/secret.txt',
  '\u2025/docs-private/secret.txt',
  '/docs-private%2fsecret.txt',
];

/** Every payload: the storage layer's traversal corpus and the escapes above. */
export const PAYLOADS: readonly string[] = [...REFUSED, ...ESCAPES];

/** Each payload as it arrives in a query string: decoded once by the server to the payload, twice, and raw where a URL can carry it. */
export function encodings(payload: string): string[] {
  const once = percentEncode(payload);
  const forms = [once, encodeURIComponent(once)];
  if (/^[\x21-\x7e]*$/.test(payload) && !/[#?&+]/.test(payload)) {
    forms.push(payload);
  }
  return forms;
}

/** `encodeURIComponent`, except that a lone surrogate (which it refuses) goes as the bytes a lax encoder would send (WTF-8). */
function percentEncode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...s]
      .map((ch) => {
        const c = ch.codePointAt(0)!;
        if (c >= 0xd800 && c <= 0xdfff) {
          return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
        }
        return encodeURIComponent(ch);
      })
      .join('');
  }
}

/** A GET whose path goes out exactly as written: no client-side URL parsing that would resolve `..` or turn `\\` into `/`. */
export function verbatim(url: string): Promise<{ status: number; body: Buffer }> {
  const m = /^http:\/\/([^/:]+):(\d+)(\/.*)$/.exec(url)!;
  return new Promise((resolve, reject) => {
    const req = request({ host: m[1], port: Number(m[2]), path: m[3], headers: { accept: 'application/json' }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Sends every payload, in every encoding, in `?path=` of a folder share's listing, download and
 * archive, and in `/files/` of the folder share and of a file share. Answers one line per request
 * that got anything but 404 (or the refusal of the URL itself, before any lookup) or any byte of
 * the secret: an empty list is a pass.
 */
export async function probeTraversal(folderUrl: string, fileUrl: string): Promise<string[]> {
  const failures: string[] = [];
  const probe = async (label: string, url: string, expectNotFound: boolean): Promise<void> => {
    const res = await verbatim(url);
    const code = res.status === 400 ? (JSON.parse(res.body.toString()) as { code?: string }).code : undefined;
    // Refusals of the URL itself, before any lookup: a request line over the header limit, and, in a
    // path segment (not a query), an escape that does not decode or decodes to NUL.
    const edgeRefusal = (res.status === 431 && url.length > 8000) || (url.includes('/files/') && (code === 'bad_request' || code === 'invalid_request'));
    if (res.body.includes(SECRET)) {
      failures.push(`${label}: the secret was served (${res.status})`);
    } else if (expectNotFound && res.status !== 404 && !edgeRefusal) {
      failures.push(`${label}: ${res.status} ${res.body.subarray(0, 120).toString()}`);
    }
  };
  for (const payload of PAYLOADS) {
    for (const q of encodings(payload)) {
      // An empty path is the shared folder itself: its listing and archive are allowed, and hold no secret.
      const root = payload === '';
      const label = JSON.stringify(payload).slice(0, 60);
      await probe(`listing ${label} as ${q.slice(0, 40)}`, `${folderUrl}?path=${q}`, !root);
      await probe(`download ${label} as ${q.slice(0, 40)}`, `${folderUrl}/download?path=${q}`, true);
      await probe(`archive ${label} as ${q.slice(0, 40)}`, `${folderUrl}/archive?path=${q}`, !root);
      await probe(`files ${label} as ${q.slice(0, 40)}`, `${folderUrl}/files/${q}`, true);
      await probe(`file share files ${label} as ${q.slice(0, 40)}`, `${fileUrl}/files/${q}`, !root);
    }
  }
  return failures;
}
