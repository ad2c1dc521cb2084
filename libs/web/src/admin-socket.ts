import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '@nestjs/common';

/** A command the CLI sends to a running gateway that holds the embedded database. */
export interface AdminRequest {
  readonly cmd: string;
  readonly args: Record<string, unknown>;
}

export type AdminHandler = (req: AdminRequest) => Promise<unknown>;

export const adminSocketPath = (dataDir: string): string => join(dataDir, 'run', 'admin.sock');

/**
 * A Unix socket in the data directory (mode 0600, in a 0700 folder): whoever can read the data
 * directory can already read the database, so file permissions are the authentication. Used only
 * with the embedded database, which one process at a time may open.
 */
export function startAdminSocket(dataDir: string, handle: AdminHandler, logger: Logger): Promise<Server> {
  const path = adminSocketPath(dataDir);
  mkdirSync(join(dataDir, 'run'), { recursive: true, mode: 0o700 });
  chmodSync(join(dataDir, 'run'), 0o700);
  rmSync(path, { force: true });
  const server = createServer((socket) => {
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > 64 * 1024) {
        socket.destroy();
        return;
      }
      const nl = buf.indexOf('\n');
      if (nl < 0) {
        return;
      }
      let req: AdminRequest;
      try {
        req = JSON.parse(buf.slice(0, nl)) as AdminRequest;
      } catch {
        socket.end(JSON.stringify({ ok: false, error: 'invalid request' }) + '\n');
        return;
      }
      handle(req).then(
        (result) => socket.end(JSON.stringify({ ok: true, result }) + '\n'),
        (err: unknown) => socket.end(JSON.stringify({ ok: false, error: err instanceof Error ? err.message : String(err) }) + '\n'),
      );
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      chmodSync(path, 0o600);
      logger.log({ msg: 'admin socket listening', path });
      resolve(server);
    });
  });
}
