import { z } from 'zod';

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
      })
      .strict(),
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
  STALE_UPLOAD_SECONDS: 'jobs.staleUploadSeconds',
};
