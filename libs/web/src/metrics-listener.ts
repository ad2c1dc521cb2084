import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '@nestjs/common';
import type { AppConfigService } from '@mft/config';
import { safeEqual } from '@mft/core';

/** Whether a request may read the metrics: always without a configured token, else only with it as a bearer. */
export function metricsAuthorized(token: string | null, authorization: string | undefined): boolean {
  if (token === null) {
    return true;
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match !== null && safeEqual(match[1]!, token);
}

/**
 * What a scrape reads: the process's registry, or (with the SFTP ingress in a process of its own)
 * the registry with the ingress process's metrics merged in.
 */
export abstract class MetricsSource {
  abstract readonly contentType: string;
  abstract metrics(): Promise<string>;
}

/** Answers one scrape: the registry's text, 401 without the token, 404 for anything but GET /metrics. */
export async function answerScrape(req: IncomingMessage, res: ServerResponse, registry: MetricsSource, token: string | null): Promise<void> {
  const path = (req.url ?? '').split('?')[0];
  res.setHeader('Cache-Control', 'no-store');
  if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ code: 'not_found', message: 'Only GET /metrics is served here.' }));
    return;
  }
  if (!metricsAuthorized(token, req.headers.authorization)) {
    res
      .writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer realm="metrics"' })
      .end(JSON.stringify({ code: 'metrics_token_required', message: 'Send the metrics token (METRICS_TOKEN) as "Authorization: Bearer <token>".' }));
    return;
  }
  const body = await registry.metrics();
  res.writeHead(200, { 'Content-Type': registry.contentType }).end(req.method === 'HEAD' ? undefined : body);
}

/**
 * Serves Prometheus metrics on their own address and port (`metrics.host`, `metrics.port`), so that
 * the port recipients reach never exposes them. Resolves once listening; null when turned off.
 */
export async function startMetricsListener(config: AppConfigService, registry: MetricsSource, logger: Logger): Promise<Server | null> {
  const { host, port, token } = config.values.metrics;
  if (port === 'off') {
    return null;
  }
  const server = createServer((req, res) => {
    answerScrape(req, res, registry, token).catch((err: unknown) => {
      logger.error({ msg: 'metrics scrape failed', err: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) {
        res.writeHead(500).end();
      } else {
        res.destroy();
      }
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ msg: 'metrics listener failed', err: err.message }));
  return server;
}
