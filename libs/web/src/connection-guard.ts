import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { isIP, type Socket } from 'node:net';
import type { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** How long a connection closed after an unread body keeps draining what the client still sends. */
const LINGER_MS = 5000;

/** The TCP peer address of a socket, IPv4-mapped IPv6 written as IPv4. */
export function peerAddress(socket: Socket): string | null {
  const raw = socket.remoteAddress;
  if (!raw) {
    return null;
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(raw);
  return mapped ? mapped[1]! : isIP(raw) ? raw : null;
}

/** Whether the request announces a body (a length above zero, or a chunked one). */
function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/**
 * One rule for every route: an answer sent before the request body was read ends the connection.
 * The answer carries `Connection: close`; then the server stops writing, keeps reading and
 * discarding for a few seconds (lingering close, so the client is not reset before it has read the
 * answer) and cuts the connection. Otherwise Node keeps the connection alive and reads the rest of
 * the body, however slowly it comes and however large it was declared.
 */
export function closeAfterUnreadBody() {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (hasBody(req)) {
      // Node has no event for "headers about to be sent"; writeHead is where every answer passes.
      const writeHead = res.writeHead.bind(res) as unknown as (...args: unknown[]) => ServerResponse;
      res.writeHead = ((...args: unknown[]) => {
        if (!req.complete && !res.headersSent) {
          res.setHeader('Connection', 'close');
          lingerOnClose(req);
        }
        return writeHead(...args);
      }) as unknown as typeof res.writeHead;
    }
    next();
  };
}

/** Replaces the immediate close Node does after a `Connection: close` answer with a lingering one. */
function lingerOnClose(req: IncomingMessage): void {
  const socket = req.socket as Socket & { destroySoon?: () => void };
  if (socket.destroyed) {
    return;
  }
  socket.destroySoon = () => {
    socket.end();
    req.resume();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
}

/** A request being served, as the shutdown and idle logs name it. */
export interface OpenRequest {
  readonly id: string;
  readonly method: string;
  readonly path: string;
  readonly ip: string | undefined;
  readonly started: number;
}

/** The requests being served, by connection. */
export class OpenRequests {
  readonly #bySocket = new Map<Socket, OpenRequest>();

  add(socket: Socket, request: OpenRequest): void {
    this.#bySocket.set(socket, request);
  }
  remove(socket: Socket, request: OpenRequest): void {
    if (this.#bySocket.get(socket) === request) {
      this.#bySocket.delete(socket);
    }
  }
  on(socket: Socket): OpenRequest | undefined {
    return this.#bySocket.get(socket);
  }
  /** What is open now, for a log line: method, path, address and age. */
  describe(now = Date.now()): Array<Record<string, unknown>> {
    return [...this.#bySocket.values()].map((r) => ({ id: r.id, method: r.method, path: r.path, ip: r.ip, ms: now - r.started }));
  }
  get size(): number {
    return this.#bySocket.size;
  }
}

/**
 * Cuts a connection on which no byte moved in either direction for `idleMs` while a request is
 * open (a body that went silent, a client that stopped reading, a peer that vanished); an idle
 * keep-alive connection between requests is closed after the keep-alive timeout, silently.
 */
export function cutIdleConnections(server: Server, idleMs: number, open: OpenRequests, logger: Logger): void {
  server.timeout = idleMs;
  server.on('timeout', (socket: Socket) => {
    const request = open.on(socket);
    if (request) {
      logger.warn({ msg: 'connection idle, closed', idleSeconds: idleMs / 1000, ...open.describe().find((r) => r.id === request.id) });
    }
    socket.destroy();
  });
}

/**
 * Caps the open connections of one TCP peer address. Peers for which `exempt` holds (trusted
 * proxies, which carry many clients on their connections) are not counted. A connection over the
 * cap is closed at once, before any byte is read; a warning is logged at most once a minute per address.
 */
export function capConnectionsPerAddress(server: Server, max: number, exempt: (ip: string) => boolean, logger: Logger): void {
  const open = new Map<string, number>();
  const warned = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const ip = peerAddress(socket);
    if (ip === null || exempt(ip)) {
      return;
    }
    const count = open.get(ip) ?? 0;
    if (count >= max) {
      const now = Date.now();
      if ((warned.get(ip) ?? 0) < now - 60_000) {
        warned.set(ip, now);
        logger.warn({ msg: 'too many connections from one address, closed', ip, max });
      }
      socket.destroy();
      return;
    }
    open.set(ip, count + 1);
    socket.once('close', () => {
      const left = (open.get(ip) ?? 1) - 1;
      if (left > 0) {
        open.set(ip, left);
      } else {
        open.delete(ip);
      }
    });
  });
  setInterval(() => {
    const cutoff = Date.now() - 60_000;
    for (const [ip, at] of warned) {
      if (at < cutoff) {
        warned.delete(ip);
      }
    }
  }, 60_000).unref();
}
