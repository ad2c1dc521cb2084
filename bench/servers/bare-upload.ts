/**
 * Baseline upload server: plain `node:http` and `pipeline(request → SHA-256 → destination)`.
 *   POST /disk/<name>  writes the raw body to <dir>/<name> (fs.createWriteStream), hashing it on the way;
 *   POST /sink         hashes the body and discards it (no storage at all).
 * Both answer `{"bytes":N,"sha256":"..."}` once the last byte is written. The directory is the
 * first argument. Prints `{"port":N}` on stdout once it listens on 127.0.0.1.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:http';
import { basename, join } from 'node:path';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: bare-upload <dir>\n');
  process.exit(2);
}
const CHUNK = 1024 * 1024;

/** Counts and hashes the bytes as they pass (what any upload server must do at least). */
class Sha256Meter extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  constructor() {
    super({ highWaterMark: CHUNK });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    done(null, chunk);
  }
}

const server = createServer((req, res) => {
  void (async () => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let sink: Writable;
    if (req.method === 'POST' && url.pathname.startsWith('/disk/')) {
      sink = createWriteStream(join(dir, basename(url.pathname)), { highWaterMark: CHUNK });
    } else if (req.method === 'POST' && url.pathname === '/sink') {
      sink = new Writable({ highWaterMark: CHUNK, write: (_c, _e, cb) => cb(), writev: (_c, cb) => cb() });
    } else {
      res.writeHead(404).end();
      return;
    }
    const meter = new Sha256Meter();
    try {
      await pipeline(req, meter, sink);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
      return;
    }
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes: meter.bytes, sha256: meter.hash.digest('hex') }));
  })();
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
