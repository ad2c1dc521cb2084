import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** The process's Prometheus registry and the HTTP metrics every app records. */
export function createMetrics(): { registry: Registry; middleware: (req: Request, res: Response, next: NextFunction) => void } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'mft_http_requests_total',
    help: 'HTTP requests by area, method and status',
    labelNames: ['area', 'method', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'mft_http_request_duration_seconds',
    help: 'Time to the end of the response, by area',
    labelNames: ['area'],
    buckets: [0.005, 0.02, 0.1, 0.5, 2, 10, 60, 600],
    registers: [registry],
  });
  const bytesOut = new Counter({ name: 'mft_http_response_bytes_total', help: 'Bytes written to clients, by area', labelNames: ['area'], registers: [registry] });
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    const before = req.socket.bytesWritten;
    res.once('close', () => {
      const area = areaOf(req.path);
      requests.inc({ area, method: req.method, status: String(res.statusCode) });
      duration.observe({ area }, Number(process.hrtime.bigint() - start) / 1e9);
      bytesOut.inc({ area }, Math.max(0, req.socket.bytesWritten - before));
    });
    next();
  };
  return { registry, middleware };
}

/** A low-cardinality name for a path (never the token in it). */
export function areaOf(path: string): string {
  if (path.startsWith('/l/')) {
    return path.includes('/files/') ? 'recipient_file' : path.endsWith('/archive') ? 'recipient_archive' : 'recipient_page';
  }
  if (path.startsWith('/api/v1/')) {
    return `api_${path.split('/')[3] ?? ''}`;
  }
  return path === '/healthz' || path === '/readyz' || path === '/metrics' ? path.slice(1) : 'other';
}

/** A path safe to log: link tokens are secrets, so only their first characters are kept. */
export function redactPath(path: string): string {
  return path.replace(/^\/l\/([^/]{6})[^/]*/, '/l/$1…');
}
