import { isAbsolute, normalize } from 'node:path';
import { z } from 'zod';
import { InvalidInputError } from '@mft/core';
import { StoragePath } from '../storage-path.js';

export const CONNECTION_KINDS = ['local', 's3', 'sftp'] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

/** The gateway's roles, as the identity library names them. */
const ROLE_NAMES = ['admin', 'manager', 'employee', 'auditor', 'external'] as const;

/** A folder as people write it: a trailing "/" is allowed ("docs/" is "/docs"). */
const parseFolder = (v: string): StoragePath => StoragePath.parse(v.length > 1 && v.endsWith('/') ? v.slice(0, -1) : v);

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

const folder = z
  .string()
  .max(4096)
  .transform((v, ctx) => {
    try {
      return parseFolder(v).toString();
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a folder path such as "/" or "/docs" (plain names separated by "/")' });
      return z.NEVER;
    }
  });

export const shareRootSchema = z
  .object({
    path: folder,
    roles: z.array(z.enum(ROLE_NAMES)).max(ROLE_NAMES.length).default([]),
    groups: z.array(text(200)).max(100).default([]),
    /** Those roles and groups may also change files under this folder over SFTP (put, mkdir, rm, rename). */
    write: z.boolean().default(false),
  })
  .strict();

const common = {
  shareRoots: z.array(shareRootSchema).max(100).default([]),
  allowLoopback: z.boolean().default(false),
};

const absoluteDir = z
  .string()
  .min(1, 'must not be empty')
  .max(4096)
  .refine((v) => isAbsolute(v), 'must be an absolute path (starting with "/")')
  .refine((v) => !v.split('/').includes('..'), 'must not contain ".."')
  .transform((v) => (normalize(v).length > 1 ? normalize(v).replace(/\/$/, '') : normalize(v)));

export const localSettingsSchema = z.object({ root: absoluteDir, ...common }).strict();

/** The built-in connection `default` keeps its folder under the data directory: it has no `root`. */
export const builtinLocalSettingsSchema = z.object({ root: absoluteDir.optional(), ...common }).strict();

const IPV4_LIKE = /^\d{1,3}(\.\d{1,3}){3}$/;
const bucket = z
  .string()
  .min(3, 'must be 3 to 63 characters')
  .max(63, 'must be 3 to 63 characters')
  .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, 'must be lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit')
  .refine((v) => !v.includes('..') && !v.includes('.-') && !v.includes('-.'), 'must not contain "..", ".-" or "-."')
  .refine((v) => !IPV4_LIKE.test(v), 'must not look like an IP address')
  .refine((v) => !/^(xn--|sthree-|amzn-s3-demo-)/.test(v) && !/(-s3alias|--ol-s3|\.mrap|--x-s3)$/.test(v), 'uses a prefix or suffix that S3 reserves');

const endpoint = z
  .string()
  .max(2048)
  .transform((v, ctx) => {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
      return z.NEVER;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
      return z.NEVER;
    }
    if (url.username || url.password || url.search || url.hash) {
      ctx.addIssue({ code: 'custom', message: 'must not carry credentials, a query or a fragment' });
      return z.NEVER;
    }
    return url.toString().replace(/\/$/, '');
  });

const prefix = z
  .string()
  .max(1024)
  .transform((v, ctx) => {
    try {
      return parseFolder(v === '' ? '/' : v).toKey();
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a folder inside the bucket, such as "exports/2026"' });
      return z.NEVER;
    }
  });

export const s3SettingsSchema = z
  .object({
    bucket,
    prefix: prefix.optional(),
    region: z.string().regex(/^[a-z0-9-]{1,40}$/, 'must be a region name such as "eu-west-1"'),
    endpoint: endpoint.optional(),
    forcePathStyle: z.boolean().optional(),
    serverSideEncryption: z.enum(['AES256', 'aws:kms', 'aws:kms:dsse']).optional(),
    ...common,
  })
  .strict();

/** OpenSSH's `SHA256:<base64>` (32 bytes); the prefix and the padding may be left out and are added back. */
const hostKey = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const body = v.replace(/^SHA256:/, '').replace(/=+$/, '');
    if (!/^[A-Za-z0-9+/]{43}$/.test(body)) {
      ctx.addIssue({ code: 'custom', message: 'must be the host key fingerprint as OpenSSH prints it, "SHA256:" and 43 base64 characters' });
      return z.NEVER;
    }
    return `SHA256:${body}`;
  });

const hostname = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(253)
  .regex(/^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\.?)$/, 'must be a host name or an IP address')
  .transform((v) => (v.startsWith('[') ? v.slice(1, -1) : v));

export const sftpSettingsSchema = z
  .object({
    host: hostname,
    port: z.number().int().min(1).max(65535).default(22),
    username: text(255),
    root: z
      .string()
      .max(4096)
      .default('/')
      .transform((v, ctx) => {
        try {
          return parseFolder(v).toString();
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be an absolute folder path on the server, such as "/" or "/srv/files"' });
          return z.NEVER;
        }
      }),
    hostKeySha256: hostKey,
    ...common,
  })
  .strict();

export const s3SecretsSchema = z.object({ accessKeyId: text(256), secretAccessKey: z.string().min(1, 'must not be empty').max(1024) }).strict();
export const sftpSecretsSchema = z.union([
  z.object({ password: z.string().min(1, 'must not be empty').max(1024) }).strict(),
  z.object({ privateKey: z.string().min(1, 'must not be empty').max(64 * 1024), passphrase: z.string().max(1024).optional() }).strict(),
]);
export const localSecretsSchema = z.object({}).strict();

export type LocalSettings = z.output<typeof builtinLocalSettingsSchema>;
export type S3Settings = z.output<typeof s3SettingsSchema>;
export type SftpSettings = z.output<typeof sftpSettingsSchema>;
export type S3Secrets = z.output<typeof s3SecretsSchema>;
export type SftpSecrets = z.output<typeof sftpSecretsSchema>;

/** A connection's validated settings and secrets, by kind. */
export type ConnectionConfig =
  | { readonly kind: 'local'; readonly settings: LocalSettings; readonly secrets: Record<string, never> }
  | { readonly kind: 's3'; readonly settings: S3Settings; readonly secrets: S3Secrets }
  | { readonly kind: 'sftp'; readonly settings: SftpSettings; readonly secrets: SftpSecrets };

export type AnySettings = ConnectionConfig['settings'];

/** One problem of a request: the field (dotted path) and what is wrong with it. */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

/** A request with malformed fields (400); every bad field is named, in the message and in `problems`. */
export class ConnectionInvalidError extends InvalidInputError {
  constructor(readonly problems: readonly FieldProblem[]) {
    super('connection_invalid', `The connection is not valid: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}.`, { problems });
  }
}

function problemsOf(error: z.ZodError, prefix: string): FieldProblem[] {
  return error.issues.map((i) => {
    const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
    const message = i.code === 'unrecognized_keys' ? `has unknown field(s) ${i.keys.map((k) => JSON.stringify(k)).join(', ')}` : i.message;
    return { path: path || 'body', message };
  });
}

/** Parses `value` with `schema`, or throws `ConnectionInvalidError` naming the fields under `prefix`. */
export function parseField<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new ConnectionInvalidError(problemsOf(r.error, prefix));
  }
  return r.data;
}

const SETTINGS: Record<ConnectionKind, z.ZodType> = { local: localSettingsSchema, s3: s3SettingsSchema, sftp: sftpSettingsSchema };
const SECRETS: Record<ConnectionKind, z.ZodType> = { local: localSecretsSchema, s3: s3SecretsSchema, sftp: sftpSecretsSchema };

/**
 * Validates the settings and secrets of a connection of `kind` (the built-in `default` may leave
 * out `root`). Secrets are required for S3 and SFTP; a local connection takes none.
 */
export function parseConnectionConfig(kind: ConnectionKind, settings: unknown, secrets: unknown, options: { builtin?: boolean } = {}): ConnectionConfig {
  const problems: FieldProblem[] = [];
  const settingsSchema = kind === 'local' && options.builtin ? builtinLocalSettingsSchema : SETTINGS[kind];
  const s = settingsSchema.safeParse(settings);
  if (!s.success) {
    problems.push(...problemsOf(s.error, 'settings'));
  }
  const k = SECRETS[kind].safeParse(secrets ?? (kind === 'local' ? {} : undefined));
  if (!k.success) {
    const missing = secrets === undefined || secrets === null;
    problems.push(...(missing ? [{ path: 'secrets', message: kind === 's3' ? 'are required: accessKeyId and secretAccessKey' : 'are required: password, or privateKey (and passphrase)' }] : problemsOf(k.error, 'secrets')));
  }
  if (problems.length > 0) {
    throw new ConnectionInvalidError(problems);
  }
  return { kind, settings: s.data, secrets: k.data } as ConnectionConfig;
}

/** The fields of a secret value of each kind, for redaction wherever a message might repeat one. */
export function secretValues(config: ConnectionConfig): string[] {
  return Object.values(config.secrets as Record<string, string | undefined>).filter((v): v is string => typeof v === 'string' && v.length >= 4);
}
