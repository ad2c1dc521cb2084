import { z } from 'zod';

/** A boolean that also reads "true"/"false"/"1"/"0" from files and the environment (never "false" → true). */
const flag = z.union([z.boolean(), z.stringbool()]);

const port = z.coerce
  .number({ error: 'must be a whole number from 1 to 65535' })
  .int('must be a whole number from 1 to 65535')
  .min(1, 'must be a whole number from 1 to 65535')
  .max(65535, 'must be a whole number from 1 to 65535');
const seconds = z.coerce.number({ error: 'must be a number of seconds' }).int('must be a whole number of seconds').min(1, 'must be at least 1 second');
const window = z.object({ max: z.coerce.number().int().min(1), windowSeconds: seconds });

/** The whole configuration, validated once at boot. */
export const configSchema = z
  .object({
    http: z
      .object({
        port: port.default(8080),
        host: z.string().min(1).default('0.0.0.0'),
        publicUrl: z.url({ protocol: /^https?$/ }).nullable().default(null),
        trustedProxies: z.array(z.string().min(1)).default([]),
        idleSeconds: seconds.default(60),
        maxConnectionsPerIp: z.coerce.number().int().min(1).default(64),
        shutdownGraceSeconds: seconds.default(10),
      })
      .strict(),
    /** Prometheus metrics: a listener of their own, away from the port recipients use. */
    metrics: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        /** The metrics listener's port; "off" = none (then only the bearer token opens /metrics on the main port). */
        port: z.union([port, z.literal('off')]).default(9464),
        /** When set, /metrics answers only `Authorization: Bearer <token>`, on the metrics listener and on the main port. */
        token: z.string().min(24, 'must be at least 24 characters').nullable().default(null),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 9464, token: null }),
    dataDir: z.string().min(1).default('./data'),
    /** The SFTP ingress (drop folders and mounts of storage connections). */
    sftp: z
      .object({
        /** The SFTP listener's port; "off" = no SFTP ingress in this process. */
        port: z.union([port, z.literal('off')]).default(2222),
        host: z.string().min(1).default('0.0.0.0'),
        /** Files dropped into one folder with no more than this many seconds between them become one link. */
        quietSeconds: z.coerce.number({ error: 'must be a number of seconds' }).min(0.1, 'must be at least 0.1 seconds').max(3600).default(10),
        /** A session on which nothing moves for this long is closed. */
        idleSeconds: seconds.default(900),
        /** How often open sessions check that their user and credential are still valid. */
        recheckSeconds: seconds.default(30),
        /** Open SFTP connections allowed from one client address. */
        maxConnectionsPerIp: z.coerce.number().int().min(1).default(32),
        /**
         * Where `npm start` runs the ingress: "separate" = a supervised child process of its own, so
         * that SSH encryption never delays an HTTP answer; "inline" = in the HTTP process; "auto" =
         * separate on PostgreSQL, inline on the embedded database (which one process holds).
         */
        process: z.enum(['auto', 'inline', 'separate'], { error: 'must be auto, inline or separate' }).default('auto'),
      })
      .strict()
      .default({ port: 2222, host: '0.0.0.0', quietSeconds: 10, idleSeconds: 900, recheckSeconds: 30, maxConnectionsPerIp: 32, process: 'auto' }),
    database: z
      .object({
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
          .nullable()
          .default(null),
        poolSize: z.coerce.number().int().min(1).max(200).default(10),
      })
      .strict(),
    secretKey: z.string().min(32, 'must be at least 32 characters').nullable().default(null),
    log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug']).default('info') }).strict(),
    links: z
      .object({
        maxFileBytes: z.coerce.number().int().min(1).default(10 * 1024 ** 3),
        maxTotalBytes: z.coerce.number().int().min(1).default(10 * 1024 ** 3),
        maxFilesPerLink: z.coerce.number().int().min(1).max(10000).default(1000),
        claimGraceSeconds: seconds.default(900),
        /** How often a running download renews its claim and checks its grant is still live (at most a third of the grace period). */
        heartbeatSeconds: seconds.default(5),
      })
      .strict(),
    mail: z
      .object({
        /** smtp://user:pass@host:587 (STARTTLS when offered) or smtps://host:465; null = write .eml files to the outbox. */
        smtpUrl: z
          .string()
          .regex(/^smtps?:\/\/[^\s]+$/, 'must be an smtp:// or smtps:// URL, e.g. smtp://user:password@mail.example.com:587')
          .nullable()
          .default(null),
        /** The sender address; the display name is the brand's name (a name given here is used until the brand is named). */
        from: z.string().min(3).max(320).default('no-reply@localhost'),
        /** Refuse to send unless the connection is encrypted (STARTTLS required on smtp://). */
        requireTls: flag.default(false),
        /** Check the SMTP server's certificate (turn off only for a lab server). */
        tlsRejectUnauthorized: flag.default(true),
        /** PEM file of the CA that signed the SMTP server's certificate, when it is not a public one. */
        tlsCaFile: z.string().min(1).nullable().default(null),
        /** Where messages are written when no SMTP server is configured (default <dataDir>/outbox). */
        outboxDir: z.string().min(1).nullable().default(null),
        maxAttempts: z.coerce.number().int().min(1).max(100).default(10),
        retryBaseSeconds: z.coerce.number().min(0.1).default(30),
        retryMaxSeconds: z.coerce.number().min(1).default(3600),
        pollSeconds: z.coerce.number().min(0.1).default(5),
        timeoutSeconds: seconds.default(60),
        /** Days a sent, failed or suppressed message's row (recipient address, status) is kept; the audit log keeps the record. */
        retentionDays: z.coerce.number().int().min(1).max(3650).default(30),
      })
      .strict()
      .default({
        smtpUrl: null,
        from: 'no-reply@localhost',
        requireTls: false,
        tlsRejectUnauthorized: true,
        tlsCaFile: null,
        outboxDir: null,
        maxAttempts: 10,
        retryBaseSeconds: 30,
        retryMaxSeconds: 3600,
        pollSeconds: 5,
        timeoutSeconds: 60,
        retentionDays: 30,
      }),
    emailVerification: z
      .object({
        codeTtlSeconds: seconds.default(600),
        maxAttempts: z.coerce.number().int().min(1).max(20).default(5),
        /** Codes one browser session may request for one link, per window. */
        sendsPerSession: window.default({ max: 3, windowSeconds: 600 }),
        /** Codes sent for one link from all sessions, per window. */
        sendsPerGrant: window.default({ max: 20, windowSeconds: 3600 }),
        /** Code requests from one IP across all links, per window. */
        sendsPerIp: window.default({ max: 30, windowSeconds: 3600 }),
      })
      .strict()
      .default({
        codeTtlSeconds: 600,
        maxAttempts: 5,
        sendsPerSession: { max: 3, windowSeconds: 600 },
        sendsPerGrant: { max: 20, windowSeconds: 3600 },
        sendsPerIp: { max: 30, windowSeconds: 3600 },
      }),
    policy: z
      .object({
        /**
         * Policy as code: when this YAML file exists it is applied at start and the API refuses
         * policy edits. Default <project>/config/policy.yaml; a relative path is taken from the
         * working directory.
         */
        file: z.string().min(1).nullable().default(null),
      })
      .strict()
      .default({ file: null }),
    jobs: z
      .object({
        intervalSeconds: z.coerce.number().min(0.1).default(30),
        staleUploadSeconds: seconds.default(600),
        /** How long a resumable upload may stay unfinished or unused before the sweep removes it (its Upload-Expires). */
        resumableUploadSeconds: seconds.default(86_400),
      })
      .strict(),
    rateLimits: z
      .object({
        /** Link password attempts from all addresses on one link: the ceiling a distributed guesser reaches. */
        unlockPerLink: window,
        /** Link password attempts from one address across all links. */
        unlockPerIp: window,
        /** Link password attempts of one browser session on one link: a guesser locks out their own session first. */
        unlockPerSession: window.default({ max: 5, windowSeconds: 900 }),
        /** Link password attempts from one address on one link: then their own address, not the recipient's. */
        unlockPerLinkAndIp: window.default({ max: 10, windowSeconds: 900 }),
        tokenLookupPerIp: window,
        loginPerIp: window.default({ max: 30, windowSeconds: 900 }),
        /** Failed password and key sign-ins (SFTP) per user name, from all addresses: the ceiling a distributed guesser reaches. */
        loginPerUser: window.default({ max: 20, windowSeconds: 900 }),
        /** Failed SSO responses (SAML ACS posts) per client address; successful sign-ins are given back. */
        ssoPerIp: window.default({ max: 120, windowSeconds: 900 }),
        /** New invitations a sender may send one recipient, per window. */
        resendPerGrant: window.default({ max: 5, windowSeconds: 3600 }),
        /**
         * Audited refusals (bad tokens, forbidden routes, CSRF failures, unknown links, lockouts) kept
         * per event type and client address, per window; past it one `audit.suppressed` event says so.
         */
        refusalAuditPerIp: window.default({ max: 20, windowSeconds: 900 }),
      })
      .strict(),
    auth: z
      .object({
        sessionIdleMinutes: z.coerce.number().min(1).default(30),
        sessionAbsoluteHours: z.coerce.number().min(0.01).default(12),
        /** IdP group → role, e.g. { "mft-admins": "admin" }. From ROLE_MAP as "group=role,group=role". */
        roleMap: z.record(z.string().min(1), z.enum(['admin', 'manager', 'employee', 'auditor', 'external'])).default({}),
        /** Roles of an SSO user none of whose groups is mapped. */
        defaultRoles: z.array(z.enum(['admin', 'manager', 'employee', 'auditor', 'external'])).default(['employee']),
        localAdmin: z
          .object({
            enabled: flag.default(true),
            maxFailures: z.coerce.number().int().min(1).default(5),
            lockoutSeconds: z.coerce.number().int().min(1).default(60),
            maxLockoutSeconds: z.coerce.number().int().min(1).default(3600),
          })
          .strict()
          .default({ enabled: true, maxFailures: 5, lockoutSeconds: 60, maxLockoutSeconds: 3600 }),
        oidc: z
          .array(
            z
              .object({
                id: z.string().regex(/^[a-z0-9-]{1,40}$/, 'must be lower-case letters, digits and dashes'),
                name: z.string().min(1).default('Single sign-on'),
                issuer: z.url(),
                clientId: z.string().min(1),
                clientSecret: z.string().min(1),
                scopes: z.string().default('openid email profile'),
                rolesClaim: z.string().min(1).default('groups'),
                allowInsecureHttp: flag.default(false),
              })
              .strict(),
          )
          .default([]),
        saml: z
          .array(
            z
              .object({
                id: z.string().regex(/^[a-z0-9-]{1,40}$/, 'must be lower-case letters, digits and dashes'),
                name: z.string().min(1).default('Single sign-on (SAML)'),
                entryPoint: z.url(),
                idpCert: z.string().min(1),
                idpIssuer: z.string().min(1).optional(),
                rolesAttribute: z.string().min(1).default('groups'),
                emailAttribute: z.string().min(1).default('email'),
                clockSkewSeconds: z.coerce.number().int().min(0).max(600).default(60),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .default({
        sessionIdleMinutes: 30,
        sessionAbsoluteHours: 12,
        roleMap: {},
        defaultRoles: ['employee'],
        localAdmin: { enabled: true, maxFailures: 5, lockoutSeconds: 60, maxLockoutSeconds: 3600 },
        oidc: [],
        saml: [],
      }),
    /** Branding: limits on what administrators upload. */
    branding: z
      .object({
        /** The largest logo upload accepted, in bytes (PNG, JPEG or SVG). */
        maxLogoBytes: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(512 * 1024),
      })
      .strict()
      .default({ maxLogoBytes: 512 * 1024 }),
  })
  .strict()
  .refine((c) => c.mail.retryBaseSeconds <= c.mail.retryMaxSeconds, {
    message: 'must not exceed mail.retryMaxSeconds',
    path: ['mail', 'retryBaseSeconds'],
  });

export type AppConfig = z.infer<typeof configSchema>;

/** Environment variables and the configuration key each one sets. */
export const ENV_KEYS: Record<string, string> = {
  PORT: 'http.port',
  HOST: 'http.host',
  PUBLIC_URL: 'http.publicUrl',
  TRUSTED_PROXIES: 'http.trustedProxies',
  HTTP_IDLE_SECONDS: 'http.idleSeconds',
  HTTP_MAX_CONNECTIONS_PER_IP: 'http.maxConnectionsPerIp',
  HTTP_SHUTDOWN_GRACE_SECONDS: 'http.shutdownGraceSeconds',
  DATA_DIR: 'dataDir',
  SFTP_PORT: 'sftp.port',
  SFTP_HOST: 'sftp.host',
  SFTP_QUIET_SECONDS: 'sftp.quietSeconds',
  SFTP_IDLE_SECONDS: 'sftp.idleSeconds',
  SFTP_RECHECK_SECONDS: 'sftp.recheckSeconds',
  SFTP_MAX_CONNECTIONS_PER_IP: 'sftp.maxConnectionsPerIp',
  SFTP_PROCESS: 'sftp.process',
  METRICS_HOST: 'metrics.host',
  METRICS_PORT: 'metrics.port',
  METRICS_TOKEN: 'metrics.token',
  DATABASE_URL: 'database.url',
  DATABASE_POOL_SIZE: 'database.poolSize',
  SECRET_KEY: 'secretKey',
  LOG_LEVEL: 'log.level',
  MAX_FILE_BYTES: 'links.maxFileBytes',
  MAX_TOTAL_BYTES: 'links.maxTotalBytes',
  CLAIM_GRACE_SECONDS: 'links.claimGraceSeconds',
  DOWNLOAD_HEARTBEAT_SECONDS: 'links.heartbeatSeconds',
  JOBS_INTERVAL_SECONDS: 'jobs.intervalSeconds',
  ROLE_MAP: 'auth.roleMap',
  LOCAL_ADMIN_ENABLED: 'auth.localAdmin.enabled',
  SESSION_IDLE_MINUTES: 'auth.sessionIdleMinutes',
  SESSION_ABSOLUTE_HOURS: 'auth.sessionAbsoluteHours',
  STALE_UPLOAD_SECONDS: 'jobs.staleUploadSeconds',
  RESUMABLE_UPLOAD_SECONDS: 'jobs.resumableUploadSeconds',
  SMTP_URL: 'mail.smtpUrl',
  MAIL_FROM: 'mail.from',
  SMTP_REQUIRE_TLS: 'mail.requireTls',
  SMTP_TLS_REJECT_UNAUTHORIZED: 'mail.tlsRejectUnauthorized',
  SMTP_TLS_CA_FILE: 'mail.tlsCaFile',
  MAIL_OUTBOX_DIR: 'mail.outboxDir',
  MAIL_MAX_ATTEMPTS: 'mail.maxAttempts',
  MAIL_RETRY_BASE_SECONDS: 'mail.retryBaseSeconds',
  MAIL_RETRY_MAX_SECONDS: 'mail.retryMaxSeconds',
  MAIL_POLL_SECONDS: 'mail.pollSeconds',
  MAIL_RETENTION_DAYS: 'mail.retentionDays',
  POLICY_FILE: 'policy.file',
  BRANDING_MAX_LOGO_BYTES: 'branding.maxLogoBytes',
};
