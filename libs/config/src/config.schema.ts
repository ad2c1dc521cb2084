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
      })
      .strict(),
    dataDir: z.string().min(1).default('./data'),
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
        defaultExpiryDays: z.coerce.number().min(0.0001).default(7),
        maxExpiryDays: z.coerce.number().min(0.0001).default(30),
        claimGraceSeconds: seconds.default(900),
        passwordMinLength: z.coerce.number().int().min(1).max(1024).default(8),
      })
      .strict(),
    jobs: z
      .object({
        intervalSeconds: z.coerce.number().min(0.1).default(30),
        staleUploadSeconds: seconds.default(600),
      })
      .strict(),
    rateLimits: z
      .object({
        unlockPerLink: window,
        unlockPerIp: window,
        tokenLookupPerIp: window,
        loginPerIp: window.default({ max: 30, windowSeconds: 900 }),
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
  })
  .strict()
  .refine((c) => c.links.defaultExpiryDays <= c.links.maxExpiryDays, {
    message: 'must not exceed links.maxExpiryDays',
    path: ['links', 'defaultExpiryDays'],
  });

export type AppConfig = z.infer<typeof configSchema>;

/** Environment variables and the configuration key each one sets. */
export const ENV_KEYS: Record<string, string> = {
  PORT: 'http.port',
  HOST: 'http.host',
  PUBLIC_URL: 'http.publicUrl',
  TRUSTED_PROXIES: 'http.trustedProxies',
  DATA_DIR: 'dataDir',
  DATABASE_URL: 'database.url',
  DATABASE_POOL_SIZE: 'database.poolSize',
  SECRET_KEY: 'secretKey',
  LOG_LEVEL: 'log.level',
  MAX_FILE_BYTES: 'links.maxFileBytes',
  MAX_TOTAL_BYTES: 'links.maxTotalBytes',
  CLAIM_GRACE_SECONDS: 'links.claimGraceSeconds',
  JOBS_INTERVAL_SECONDS: 'jobs.intervalSeconds',
  ROLE_MAP: 'auth.roleMap',
  LOCAL_ADMIN_ENABLED: 'auth.localAdmin.enabled',
  SESSION_IDLE_MINUTES: 'auth.sessionIdleMinutes',
  SESSION_ABSOLUTE_HOURS: 'auth.sessionAbsoluteHours',
  STALE_UPLOAD_SECONDS: 'jobs.staleUploadSeconds',
};
