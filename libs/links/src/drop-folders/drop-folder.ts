import { z } from 'zod';
import { assertAllowedText, InvalidInputError, isDomainError, text, type Secret } from '@mft/core';
import { ROLES, type Role } from '@mft/identity';
import { parseCreateSendLink, recipientEmail, type CreateSendLinkCommand } from '../create-send-link.command.js';

export const DROP_FOLDER_NAME_MAX = 64;
export const DROP_FOLDER_RECIPIENTS_MAX = 50;

/**
 * An admin-defined drop folder: `/drop/<name>/` in the SFTP tree of the people it is for, where a
 * file whose upload completes becomes a send link to `recipients`, with `options` and `message`,
 * created under the uploader's effective policy. `options` never holds the link password: that
 * is `password`, a Secret, so that it reaches no answer, audit event or log line by accident.
 */
export interface DropFolder {
  readonly id: string;
  /** One path segment (see `dropFolderNameProblem`); unique whatever its case. */
  readonly name: string;
  readonly recipients: string[];
  /** Send-link options as `POST /api/v1/links` takes them (oneTime, maxDownloads, expiresAt, ...), without `password`. */
  readonly options: Record<string, unknown>;
  readonly message: string | null;
  /** Who may use it: anyone holding one of these roles or in one of these IdP groups (admins always). */
  readonly roles: Role[];
  readonly groups: string[];
  readonly password: Secret | null;
}

/** A drop folder as administrators see it (`/api/v1/drop-folders`): never its password, only whether it has one. */
export interface DropFolderView {
  readonly id: string;
  readonly name: string;
  readonly recipients: string[];
  readonly options: Record<string, unknown>;
  readonly passwordProtected: boolean;
  readonly message: string | null;
  readonly roles: Role[];
  readonly groups: string[];
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
  /** 1 at creation, bumped by every change. */
  readonly version: number;
}

/** A drop folder as someone who may use it sees it (`/api/v1/me/drop-folders`). */
export interface UsableDropFolderView {
  readonly name: string;
  /** Where it is in their SFTP tree: `/drop/<name>/`. */
  readonly path: string;
  readonly recipients: string[];
  readonly message: string | null;
  readonly options: Record<string, unknown>;
  readonly passwordProtected: boolean;
}

/**
 * Why `name` cannot name a drop folder, or null when it can. A name is one safe path segment on
 * every client and file system: 1 to 64 of the ASCII letters, digits, space, `-`, `_` and `.`,
 * neither starting nor ending with a space or a dot (so never `.` or `..`). ASCII only, because
 * names are compared case-insensitively and Unicode case and normalisation differ between
 * clients and databases.
 */
export function dropFolderNameProblem(name: string): string | null {
  if (name.length === 0) {
    return 'must not be empty';
  }
  if (name.length > DROP_FOLDER_NAME_MAX) {
    return `must be at most ${DROP_FOLDER_NAME_MAX} characters`;
  }
  if (name === '.' || name === '..') {
    return 'must not be "." or ".."';
  }
  if (name.includes('/') || name.includes('\\')) {
    return 'must be one folder name, without "/" or "\\"';
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) {
    return 'must not contain control characters (NUL, line breaks, ...)';
  }
  if (!/^[A-Za-z0-9 ._-]+$/.test(name)) {
    return 'may hold only the letters A-Z and a-z, digits, spaces, "-", "_" and "."';
  }
  if (/^[ .]|[ .]$/.test(name)) {
    return 'must not start or end with a space or a dot';
  }
  return null;
}

/** Whether `name` is a valid drop folder name (a path segment the SFTP ingress may look up). */
export const isDropFolderName = (name: string): boolean => dropFolderNameProblem(name) === null;

const nameSchema = z.string({ message: 'must be a string' }).superRefine((name, ctx) => {
  const problem = dropFolderNameProblem(name);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: problem });
  }
});

const recipientsSchema = z
  .array(text().trim().pipe(recipientEmail), { message: 'must be a list of email addresses' })
  .min(1, 'must name at least one recipient')
  .max(DROP_FOLDER_RECIPIENTS_MAX, `must name at most ${DROP_FOLDER_RECIPIENTS_MAX} recipients`);

const bodySchema = z
  .object({
    name: nameSchema,
    recipients: recipientsSchema,
    options: z.record(z.string(), z.unknown(), { message: 'must be an object of link options' }).optional(),
    message: text().max(4000, 'must be at most 4000 characters').nullable().optional(),
    roles: z.array(z.enum(ROLES, { message: `must be one of ${ROLES.join(', ')}` }), { message: 'must be a list of roles' }).max(20, 'must name at most 20 roles').optional(),
    groups: z
      .array(text().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'), { message: 'must be a list of group names' })
      .max(100, 'must name at most 100 groups')
      .optional(),
  })
  .strict();

const patchSchema = bodySchema.partial().strict();

/** The options a drop folder takes: those of a send link but its recipients and message. */
const OPTION_NAMES = ['oneTime', 'maxDownloads', 'expiresAt', 'password', 'requireEmailVerification', 'notify', 'notifyOnDownload'] as const;

/** Fields of a drop folder that sit beside its options, not inside them. */
const NOT_OPTIONS = ['kind', 'recipients', 'message'] as const;

interface Problem {
  readonly field: string;
  readonly message: string;
}

/** What a valid create or change body holds; `password`: a string sets it, null clears it, undefined keeps it. */
export interface DropFolderInput {
  readonly name?: string;
  readonly recipients?: string[];
  readonly options?: Record<string, unknown>;
  readonly password?: string | null;
  readonly message?: string | null;
  readonly roles?: Role[];
  readonly groups?: string[];
}

function invalid(problems: readonly Problem[]): InvalidInputError {
  return new InvalidInputError('drop_folder_invalid', `The drop folder is not valid: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`, {
    field: problems[0]?.field,
    problems,
  });
}

const unique = <T extends string>(values: readonly T[], key: (v: T) => string = (v) => v): T[] => {
  const seen = new Set<string>();
  return values.filter((v) => !seen.has(key(v)) && Boolean(seen.add(key(v))));
};

/**
 * The options as they are stored and handed to link creation: only what was given, each in one
 * canonical JSON form that the link parser reads back as the same value.
 */
function canonicalOptions(cmd: CreateSendLinkCommand): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['oneTime', 'requireEmailVerification', 'notify', 'notifyOnDownload'] as const) {
    if (cmd[key] !== undefined) {
      out[key] = cmd[key];
    }
  }
  if (cmd.maxDownloads !== undefined) {
    out.maxDownloads = cmd.maxDownloads ?? 'unlimited';
  }
  if (cmd.expiresAt !== undefined) {
    out.expiresAt = cmd.expiresAt === 'never' ? 'never' : cmd.expiresAt.toISOString();
  }
  return out;
}

/**
 * Checks the options of a drop folder with the very parser of `POST /api/v1/links`, so that what
 * a drop folder accepts a link accepts too; the fields are named `options.<field>`. `password`
 * may also be null (no password).
 */
function parseOptions(raw: Record<string, unknown>, problems: Problem[]): { options: Record<string, unknown>; password: string | null } | null {
  const misplaced = NOT_OPTIONS.filter((k) => k in raw);
  for (const k of misplaced) {
    problems.push({ field: `options.${k}`, message: k === 'kind' ? 'is not an option (a drop folder makes send links)' : `is not an option: give it as "${k}" beside "options"` });
  }
  const { password, ...rest } = raw;
  if (password !== undefined && password !== null && (typeof password !== 'string' || password.length === 0)) {
    problems.push({ field: 'options.password', message: 'must be a non-empty string, or null for none' });
  }
  if (misplaced.length > 0) {
    return null;
  }
  try {
    const cmd = parseCreateSendLink({ ...rest, ...(typeof password === 'string' && password.length > 0 ? { password } : {}) });
    return { options: canonicalOptions(cmd), password: cmd.password ?? null };
  } catch (err) {
    if (isDomainError(err) && err.code === 'invalid_link_options') {
      const found = (err.details.problems ?? []) as Problem[];
      for (const p of found) {
        if (/^Unrecognized key/i.test(p.message)) {
          problems.push(...p.field.split(', ').map((k) => ({ field: `options.${k}`, message: `is not a link option (${OPTION_NAMES.join(', ')})` })));
        } else {
          problems.push({ field: `options.${p.field}`, message: p.message });
        }
      }
      return null;
    }
    throw err;
  }
}

/**
 * Validates a create (`partial` false: name and recipients required) or change body (PATCH:
 * every field optional, `options` replaced as a whole when given), or throws one
 * InvalidInputError `drop_folder_invalid` naming each bad field.
 */
export function parseDropFolderBody(body: unknown, partial: boolean): DropFolderInput {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalid([{ field: 'body', message: 'must be a JSON object: { "name", "recipients": [...], "options"?, "message"?, "roles"?, "groups"? }' }]);
  }
  assertAllowedText(body);
  const result = (partial ? patchSchema : bodySchema).safeParse(body);
  const problems: Problem[] = [];
  if (!result.success) {
    problems.push(
      ...result.error.issues.map((i) => ({
        field: i.path.join('.') || 'body',
        message: i.code === 'unrecognized_keys' ? `has unknown field(s) ${i.keys.map((k) => JSON.stringify(k)).join(', ')}` : i.message,
      })),
    );
  }
  const rawOptions = (body as { options?: unknown }).options;
  const parsedOptions = rawOptions !== null && typeof rawOptions === 'object' && !Array.isArray(rawOptions) ? parseOptions(rawOptions as Record<string, unknown>, problems) : null;
  if (!result.success || problems.length > 0) {
    throw invalid(problems);
  }
  const d = result.data;
  const options = d.options === undefined ? (partial ? undefined : { options: {}, password: null }) : parsedOptions!;
  // New options without "password" keep the one set before (it is never shown, so it cannot be sent back).
  const password = !partial || (d.options !== undefined && 'password' in d.options) ? (options?.password ?? null) : undefined;
  return {
    ...(d.name !== undefined ? { name: d.name } : {}),
    ...(d.recipients !== undefined ? { recipients: unique(d.recipients, (r) => r.toLowerCase()) } : {}),
    ...(options !== undefined ? { options: options.options } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(d.message !== undefined ? { message: d.message === null || d.message.trim() === '' ? null : d.message } : {}),
    ...(d.roles !== undefined ? { roles: unique(d.roles) } : {}),
    ...(d.groups !== undefined ? { groups: unique(d.groups) } : {}),
  };
}

/** Whether `user` (with their IdP `groups`) may use `folder`: admins always; else a shared role or group. */
export function mayUseDropFolder(folder: Pick<DropFolder, 'roles' | 'groups'>, user: { readonly roles: readonly Role[] }, groups: readonly string[]): boolean {
  return user.roles.includes('admin') || folder.roles.some((r) => user.roles.includes(r)) || folder.groups.some((g) => groups.includes(g));
}

/**
 * The fields that create the send link of a drop into `folder`, for the upload use case
 * (`SendUpload.commit`, `ResumableUploadService.createLink`): its options, recipients, message
 * and password, parsed there again and resolved under the uploader's policy.
 */
export function dropFolderLinkFields(folder: DropFolder): Record<string, unknown> {
  return {
    kind: 'send',
    ...folder.options,
    recipients: folder.recipients.join(','),
    ...(folder.message !== null ? { message: folder.message } : {}),
    ...(folder.password !== null ? { password: folder.password.reveal() } : {}),
  };
}

/** The SFTP path of a drop folder. */
export const dropFolderPath = (name: string): string => `/drop/${name}/`;
