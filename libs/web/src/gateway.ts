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
import { AppConfigService, ConfigError, ConfigModule, loadConfig, projectRoot } from '@mft/config';
import { Clock, InvalidInputError, StartupError, SystemClock } from '@mft/core';
import { Database, DatabaseLockedError, DbModule } from '@mft/db';
import { StorageModule } from '@mft/storage';
import { startAdminSocket, type AdminHandler } from './admin-socket.js';
import { HealthController } from './health.controller.js';
import { InputStringsPipe } from './input-strings.js';
import { JsonLogger } from './json-logger.js';
import { createMetrics, redactPath } from './metrics.js';

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
}

@Global()
@Module({})
class PlatformModule {
  static forRoot(config: AppConfigService, db: Database, metrics: Registry): DynamicModule {
    return {
      module: PlatformModule,
      imports: [ConfigModule.forRoot(config), DbModule.forRoot(db), StorageModule],
      controllers: [HealthController],
      providers: [
        { provide: Clock, useClass: SystemClock },
        { provide: Registry, useValue: metrics },
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
  try {
    config = new AppConfigService(loadConfig());
  } catch (err) {
    fatal(null, err instanceof ConfigError ? err.message : `Invalid configuration: ${String(err)}`);
  }
  const logger = new JsonLogger(config.values.log.level);
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

  @Module({ imports: [PlatformModule.forRoot(config, db, metrics.registry), ...parts.modules] })
  class GatewayModule {}

  let app: NestExpressApplication;
  try {
    app = await NestFactory.create<NestExpressApplication>(GatewayModule, { logger, bufferLogs: false, abortOnError: false });
  } catch (err) {
    fatal(logger, err instanceof StartupError ? err.message : `Cannot start: ${err instanceof Error ? err.message : String(err)}`);
  }
  app.set('trust proxy', config.http.trustedProxies.length > 0 ? config.http.trustedProxies : false);
  app.disable('x-powered-by');
  app.set('etag', false);
  const requestLog = new Logger('http');
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = Date.now();
    const id = randomUUID();
    res.setHeader('X-Request-Id', id);
    res.once('close', () => {
      requestLog.log({ msg: 'request', id, method: req.method, path: redactPath(req.path), status: res.statusCode, ms: Date.now() - started, ip: req.ip, finished: res.writableFinished });
    });
    next();
  });
  app.use(metrics.middleware);
  const secureHeaders = helmetFor(config.behindTls);
  app.use((req: Request, res: Response, next: NextFunction) => (req.path.startsWith('/api/docs') ? next() : secureHeaders(req, res, next)));
  app.use(cookieParser());
  app.useBodyParser('json', { limit: '1mb' });
  // Forms are small, except SAML responses (signed XML listing many groups) on the ACS routes.
  const samlAcs = /^\/auth\/saml\/(?:[a-z0-9-]+\/)?acs$/;
  const isForm = (req: IncomingMessage): boolean => (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
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
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  try {
    await app.init();
  } catch (err) {
    if (err instanceof StartupError) {
      fatal(logger, err.message);
    }
    throw err;
  }
  const server = app.getHttpServer() as import('node:http').Server;
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.on('connection', (socket) => socket.setNoDelay(true));
  // A client may half-close its side once it has sent the whole request (RFC 9112 allows it). Node's
  // default then drops the response still being prepared; with half-open allowed, the answer (say, a
  // refusal decided after the upload was read) is still delivered, and the socket ends after it.
  (server as import('node:http').Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  await app.listen(config.http.port, config.http.host);
  let admin: import('node:net').Server | null = null;
  if (db.kind === 'pglite' && parts.admin) {
    admin = await startAdminSocket(config.dataDir, parts.admin(app), new Logger('admin'));
  }
  const boot = new Logger('gateway');
  boot.log({
    msg: 'gateway started',
    serves: parts.name,
    url: config.publicUrl,
    port: config.http.port,
    database: db.kind,
    dataDir: config.dataDir,
  });
  const stop = async (): Promise<void> => {
    admin?.close();
    await db.close().catch(() => undefined);
  };
  const originalClose = app.close.bind(app);
  app.close = async () => {
    await originalClose();
    await stop();
  };
  return app;
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
