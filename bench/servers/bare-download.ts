/**
 * Baseline download server: plain `node:http` and `pipeline(fs.createReadStream → response)` in
 * 1 MiB reads, nothing else. Serves the files under the directory given as the first argument.
 * Prints `{"port":N}` on stdout once it listens on 127.0.0.1.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join, normalize } from 'node:path';
import { pipeline } from 'node:stream/promises';

const root = process.argv[2];
if (!root) {
  process.stderr.write('usage: bare-download <root>\n');
  process.exit(2);
}
const CHUNK = 1024 * 1024;

const server = createServer((req, res) => {
  void (async () => {
    const path = join(root, normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname)));
    let size: number;
    try {
      const s = await stat(path);
      if (!s.isFile()) {
        throw new Error('not a file');
      }
      size = s.size;
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
    try {
      await pipeline(createReadStream(path, { highWaterMark: CHUNK }), res);
    } catch {
      res.destroy();
    }
  })();
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
