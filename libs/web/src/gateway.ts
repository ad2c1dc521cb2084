import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Global, Logger, Module, StandardSchemaValidationPipe, type DynamicModule, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import type { IncomingMessage } from 'node:http';
import { urlencoded, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { Registry } from 'prom-client';
import { AppConfigService, ConfigError, ConfigModule, loadConfig, prepareDataDir, projectRoot, type DataDirReport } from '@mft/config';
import { Clock, InvalidInputError, StartupError, SystemClock, TooLargeError } from '@mft/core';
import { Database, DatabaseLockedError, DbModule } from '@mft/db';
import { StorageModule } from '@mft/storage';
import { startAdminSocket, type AdminHandler } from './admin-socket.js';
import { capConnectionsPerAddress, closeAfterUnreadBody, cutIdleConnections, OpenRequests } from './connection-guard.js';
import { HealthController } from './health.controller.js';
import { IngressProcess, ingressPlacement, mergedMetrics, reportToSupervisor, SUPERVISED_ENV, type IngressPlacement } from './ingress-process.js';
import { InputStringsPipe } from './input-strings.js';
import { JsonLogger } from './json-logger.js';
import { createMetrics, redactPath } from './metrics.js';
import { MetricsSource, startMetricsListener } from './metrics-listener.js';
import { installProcessGuard } from './process-guard.js';

/** What one process serves. */
export interface GatewayParts {
  readonly name: string;
  readonly modules: ReadonlyArray<Type<unknown>>;
  /** Serve the OpenAPI document at /api/docs. */
  readonly openapi: boolean;
  /** Serve the portal's static files at /static. */
  readonly portalStatic: string | null;
  /** Handles CLI commands sent over the admin socket (embedded database only). */
  readonly admin?: (app: NestExpressApplication) => AdminHandler;
  /**
   * The SFTP ingress, served in this process or by a supervised child process running `entry`
   * (`sftp.process`, see `ingressPlacement`).
   */
  readonly sftp?: { readonly module: Type<unknown>; readonly entry: string };
}

@Global()
@Module({})
class PlatformModule {
  static forRoot(config: AppConfigService, db: Database, metrics: Registry, scrape: MetricsSource, ingress: IngressProcess | null): DynamicModule {
    return {
      module: PlatformModule,
      imports: [ConfigModule.forRoot(config), DbModule.forRoot(db), StorageModule],
      controllers: [HealthController],
      providers: [
        { provide: Clock, useClass: SystemClock },
        { provide: Registry, useValue: metrics },
        { provide: MetricsSource, useValue: scrape },
        ...(ingress ? [{ provide: IngressProcess, useValue: ingress }] : []),
      ],
      exports: [ConfigModule, DbModule, Clock, Registry],
    };
  }
}

/** Prints a start-up failure a person can act on, and exits. */
function fatal(logger: JsonLogger | null, message: string): never {
  if (logger) {
    logger.error({ msg: message });
  }
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** Loads and validates the configuration, opens the database, and serves `parts` over HTTP. */
export async function startGateway(parts: GatewayParts): Promise<NestExpressApplication> {
  let config: AppConfigService;
  let dataDir: DataDirReport;
  try {
    const values = loadConfig();
    dataDir = prepareDataDir(values.dataDir);
    config = new AppConfigService(values);
  } catch (err) {
    fatal(null, err instanceof ConfigError ? err.message : `Invalid configuration: ${err instanceof Error ? err.message : String(err)}`);
  }
  const logger = new JsonLogger(config.values.log.level);
  if (dataDir.tightened > 0) {
    logger.warn({ msg: 'made the data directory private: other accounts could read or change these entries', dataDir: dataDir.dir, entries: dataDir.tightened, examples: dataDir.examples });
  }
  let db: Database;
  try {
    db = await Database.open({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: config.values.database.poolSize });
  } catch (err) {
    if (err instanceof DatabaseLockedError) {
      fatal(logger, `The embedded database in ${config.dataDir} is already in use by process ${err.pid}. Stop that process, use another DATA_DIR, or set DATABASE_URL to share a PostgreSQL server.`);
    }
    fatal(logger, `Cannot open the database (${config.databaseUrl ? 'DATABASE_URL' : `embedded, in ${config.dataDir}`}): ${err instanceof Error ? err.message : String(err)}`);
  }
  const metrics = createMetrics();
  // Started by a gateway as its SFTP ingress process: no HTTP or metrics listener of its own.
  const supervised = process.env[SUPERVISED_ENV] === '1' && typeof process.send === 'function';
  let placement: IngressPlacement = 'off';
  try {
    placement = parts.sftp ? ingressPlacement(config, db.kind) : 'off';
  } catch (err) {
    fatal(logger, err instanceof Error ? err.message : String(err));
  }
  // The ingress process starts now, while this one starts too; the start-up line waits for it.
  const ingress = placement === 'separate' ? new IngressProcess(parts.sftp!.entry, new Logger('sftp-ingress'), metrics.registry) : null;
  const ingressStarted = ingress?.start();
  ingressStarted?.catch(() => undefined);
  const scrape: MetricsSource = ingress ? { contentType: metrics.registry.contentType, metrics: () => mergedMetrics(metrics.registry, ingress) } : metrics.registry;
  const modules = [...parts.modules, ...(parts.sftp && placement !== 'separate' ? [parts.sftp.module] : [])];

  @Module({ imports: [PlatformModule.forRoot(config, db, metrics.registry, scrape, ingress), ...modules] })
  class GatewayModule {}

  let app: NestExpressApplication;
  try {
    app = await NestFactory.create<NestExpressApplication>(GatewayModule, { logger, bufferLogs: false, abortOnError: false });
  } catch (err) {
    await ingress?.stop(1000);
    fatal(logger, err instanceof StartupError ? err.message : `Cannot start: ${err instanceof Error ? err.message : String(err)}`);
  }
  app.set('trust proxy', config.http.trustedProxies.length > 0 ? config.http.trustedProxies : false);
  app.disable('x-powered-by');
  app.set('etag', false);
  const requestLog = new Logger('http');
  const openRequests = new OpenRequests();
  app.use(closeAfterUnreadBody());
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = Date.now();
    const id = randomUUID();
    res.setHeader('X-Request-Id', id);
    const open = { id, method: req.method, path: redactPath(req.path), ip: req.ip, started };
    openRequests.add(req.socket, open);
    res.once('close', () => {
      openRequests.remove(req.socket, open);
      requestLog.log({ msg: 'request', id, method: req.method, path: redactPath(req.path), status: res.statusCode, ms: Date.now() - started, ip: req.ip, finished: res.writableFinished });
    });
    next();
  });
  app.use(metrics.middleware);
  const secureHeaders = helmetFor(config.behindTls);
  app.use((req: Request, res: Response, next: NextFunction) => (req.path.startsWith('/api/docs') ? next() : secureHeaders(req, res, next)));
  app.use(cookieParser());
  // Forms are small, except SAML responses (signed XML listing many groups) on the ACS routes.
  const samlAcs = /^\/auth\/saml\/(?:[a-z0-9-]+\/)?acs$/;
  const isForm = (req: IncomingMessage): boolean => (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
  // The body parsers read a body over their limit to its end before they answer, however slowly it
  // comes: a declared length over the limit is refused at once instead (and the connection closed).
  const bodyLimit = (req: Request): number | null =>
    req.is('application/json') ? 1024 * 1024 : isForm(req) ? (samlAcs.test(req.path) ? 1024 * 1024 : 64 * 1024) : null;
  app.use((req: Request, _res: Response, next: NextFunction) => {
    const limit = bodyLimit(req);
    const declared = Number(req.headers['content-length'] ?? 0);
    next(limit !== null && declared > limit ? new TooLargeError('body_too_large', `The request body may be at most ${limit} bytes.`, { maxBytes: limit }) : undefined);
  });
  app.useBodyParser('json', { limit: '1mb' });
  app.useBodyParser('urlencoded', { limit: '64kb', extended: false, type: (req: IncomingMessage) => isForm(req) && !samlAcs.test((req.url ?? '').split('?')[0]!) });
  app.use(samlAcs, urlencoded({ limit: '1mb', extended: false }));
  app.useGlobalPipes(
    new InputStringsPipe(),
    new StandardSchemaValidationPipe({
      exceptionFactory: (issues) =>
        new InvalidInputError(
          'invalid_request',
          `The request is not valid: ${issues.map((i) => `${(i.path ?? []).map((p) => (typeof p === 'object' ? String(p.key) : String(p))).join('.') || 'value'} ${i.message}`).join('; ')}.`,
        ),
    }),
  );
  if (parts.portalStatic) {
    app.useStaticAssets(parts.portalStatic, { prefix: '/static/', maxAge: '1h', index: false });
  }
  if (parts.openapi) {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('MFT gateway API')
        .setDescription('Send and share links, tracking, audit. Authenticate with "Authorization: Bearer <token>" (create one with `npm run cli -- token create --user <name>`).')
        .setVersion('1')
        .addBearerAuth()
        .build(),
    );
    app.use('/api/docs', (req: Request, res: Response, next: NextFunction) => {
      const accept = req.get('accept') ?? '';
      if ((req.path === '/' || req.path === '') && accept.includes('application/json') && !accept.includes('text/html')) {
        res.json(document);
        return;
      }
      next();
    });
    SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs/openapi.json', yamlDocumentUrl: 'api/docs/openapi.yaml' });
  }
  try {
    await app.init();
  } catch (err) {
    await ingress?.stop(1000);
    if (err instanceof StartupError) {
      fatal(logger, err.message);
    }
    throw err;
  }
  if (supervised) {
    return serveAsIngressProcess(app, db, metrics.registry, config.http.shutdownGraceSeconds * 1000);
  }
  const server = app.getHttpServer() as import('node:http').Server;
  server.keepAliveTimeout = 65_000;
  // No total time for a request (an upload of gigabytes takes what it takes); a request on which
  // nothing moves for http.idleSeconds is cut instead.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.on('connection', (socket) => socket.setNoDelay(true));
  const connections = new Logger('connections');
  cutIdleConnections(server, config.http.idleSeconds * 1000, openRequests, connections);
  // The cap is on the TCP peer: a trusted proxy carries many clients and limits them itself.
  const trusted = (app.getHttpAdapter().getInstance() as { get(name: string): unknown }).get('trust proxy fn') as (addr: string, i: number) => boolean;
  capConnectionsPerAddress(server, config.http.maxConnectionsPerIp, (ip) => trusted(ip, 0), connections);
  // A client may half-close its side once it has sent the whole request (RFC 9112 allows it). Node's
  // default then drops the response still being prepared; with half-open allowed, the answer (say, a
  // refusal decided after the upload was read) is still delivered, and the socket ends after it.
  (server as import('node:http').Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  // Ready (and listening) only with every door open: the ingress process too.
  if (ingressStarted) {
    try {
      await ingressStarted;
    } catch (err) {
      await app.close().catch(() => undefined);
      fatal(logger, err instanceof Error ? err.message : String(err));
    }
  }
  await app.listen(config.http.port, config.http.host);
  let metricsServer: import('node:http').Server | null = null;
  try {
    metricsServer = await startMetricsListener(config, scrape, new Logger('metrics'));
  } catch (err) {
    fatal(logger, `Cannot serve metrics on ${config.values.metrics.host}:${String(config.values.metrics.port)} (METRICS_HOST, METRICS_PORT; "off" turns the listener off): ${err instanceof Error ? err.message : String(err)}`);
  }
  let admin: import('node:net').Server | null = null;
  if (db.kind === 'pglite' && parts.admin) {
    admin = await startAdminSocket(config.dataDir, parts.admin(app), new Logger('admin'));
  }
  const boot = new Logger('gateway');
  boot.log({
    msg: 'gateway started',
    serves: parts.name,
    sftp: placement === 'separate' ? `a process of its own (pid ${String(ingress!.pid)})` : placement,
    url: config.publicUrl,
    port: config.http.port,
    database: db.kind,
    dataDir: config.dataDir,
    metrics: metricsServer ? `http://${config.values.metrics.host}:${String(config.values.metrics.port)}/metrics` : config.values.metrics.token ? '/metrics with METRICS_TOKEN' : 'off',
  });
  // One line for a person reading the terminal, beside the JSON one for the log pipeline.
  const sftpText = !parts.sftp ? '' : placement === 'off' ? '; SFTP off' : `; SFTP on ${config.sftp.host}:${String(config.sftp.port)}${placement === 'separate' ? ' in a process of its own' : ''}`;
  const dbText = db.kind === 'pglite' ? `embedded database in ${config.dataDir}` : 'PostgreSQL (DATABASE_URL)';
  const metricsText = metricsServer ? `metrics on ${config.values.metrics.host}:${String(config.values.metrics.port)}` : 'metrics listener off';
  process.stdout.write(`MFT gateway (${parts.name}) ready at ${config.publicUrl}, port ${String(config.http.port)}; ${dbText}${sftpText}; ${metricsText}\n`);
  const stop = async (): Promise<void> => {
    metricsServer?.close();
    admin?.close();
    await db.close().catch(() => undefined);
  };
  const originalClose = app.close.bind(app);
  app.close = async () => {
    // The ingress process finishes its drops and closes its sessions while this one drains.
    await Promise.all([originalClose(), ingress?.stop(config.http.shutdownGraceSeconds * 1000)]);
    await stop();
  };
  installProcessGuard(new Logger('process'));
  stopOnSignals(app, server, openRequests, config.http.shutdownGraceSeconds * 1000);
  return app;
}

/**
 * The SFTP ingress process of a gateway: no HTTP listener (the gateway answers /healthz, /readyz
 * and the metrics, merging this process's in), a report to the gateway once listening, and a
 * graceful stop on SIGTERM or when the gateway goes away.
 */
function serveAsIngressProcess(app: NestExpressApplication, db: Database, registry: Registry, graceMs: number): NestExpressApplication {
  const originalClose = app.close.bind(app);
  app.close = async () => {
    await originalClose();
    await db.close().catch(() => undefined);
  };
  installProcessGuard(new Logger('process'));
  const server = app.getHttpServer() as import('node:http').Server;
  const stop = stopOnSignals(app, server, new OpenRequests(), graceMs);
  reportToSupervisor(registry, () => stop('the gateway went away'));
  new Logger('gateway').log({ msg: 'SFTP ingress process started', pid: process.pid, database: db.kind });
  return app;
}

/**
 * SIGTERM/SIGINT: stop accepting, let the requests in flight finish for up to `graceMs`, then cut
 * what is left (logging each request cut) and exit. A request that never ends (a client that went
 * away without closing, a stuck upload) cannot hold the process.
 */
function stopOnSignals(app: NestExpressApplication, server: import('node:http').Server, open: OpenRequests, graceMs: number): (why: string) => void {
  const log = new Logger('shutdown');
  let stopping = false;
  const onSignal = (signal: string): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    log.log({ msg: 'shutting down', signal, openRequests: open.size, graceSeconds: graceMs / 1000 });
    const cut = setTimeout(() => {
      log.warn({ msg: 'shutdown grace over; cutting the requests still open', cut: open.describe() });
      server.closeAllConnections();
    }, graceMs);
    cut.unref();
    // Closing the database and the workers after the cut is bounded too.
    const last = setTimeout(() => {
      log.error({ msg: 'shutdown did not finish in time; exiting' });
      process.exit(1);
    }, graceMs + 15_000);
    last.unref();
    app.close().then(
      () => {
        clearTimeout(cut);
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ msg: 'shutdown failed', err: err instanceof Error ? err.message : String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return onSignal;
}

/** Security headers; HSTS and upgrade-insecure-requests only when the public URL is HTTPS. */
function helmetFor(https: boolean): ReturnType<typeof helmet> {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        'img-src': ["'self'", 'data:'],
        'style-src': ["'self'"],
        'upgrade-insecure-requests': https ? [] : null,
      },
    },
    strictTransportSecurity: https,
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
  });
}

export const PORTAL_STATIC = join(projectRoot(), 'apps', 'portal', 'src', 'static');
