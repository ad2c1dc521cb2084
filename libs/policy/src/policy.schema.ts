import { z } from 'zod';
import { InvalidInputError } from '@mft/core';
import { normalizeDomain } from './domains.js';

/** How a security option is enforced, from loosest to strictest. */
export const GATE_MODES = ['off', 'optional', 'default', 'required'] as const;
export type GateMode = (typeof GATE_MODES)[number];

/** How one-time use is enforced, from loosest to strictest. */
export const ONE_TIME_MODES = ['optional', 'default', 'forced'] as const;
export type OneTimeMode = (typeof ONE_TIME_MODES)[number];

/** The roles a policy may name (the same list as the identity library's roles). */
export const POLICY_ROLES = ['admin', 'manager', 'employee', 'auditor', 'external'] as const;
export type PolicyRole = (typeof POLICY_ROLES)[number];

/** Link passwords: whether they may, should or must be set, and how long they must be. */
export interface PasswordPolicy {
  readonly mode: GateMode;
  /** Counted in Unicode code points. */
  readonly minLength: number;
  /** When a password is due and none is given, generate one (shown once to the creator) instead of refusing. */
  readonly generate: boolean;
}

/** Email-verified recipients (a one-time code mailed to the recipient). */
export interface EmailVerificationPolicy {
  readonly mode: GateMode;
  /** When not empty, verification is required for any recipient outside these domains (and their subdomains). */
  readonly requiredOutsideDomains: readonly string[];
}

export interface OneTimePolicy {
  readonly mode: OneTimeMode;
}

/** Completed-download limits; null means unlimited. */
export interface DownloadsPolicy {
  readonly default: number | null;
  readonly max: number | null;
}

export interface ExpiryPolicy {
  readonly defaultDays: number;
  readonly maxDays: number;
  /** Whether a link may be created without any expiry. */
  readonly allowNever: boolean;
}

export interface FilesPolicy {
  readonly maxFileBytes: number;
  readonly maxTotalBytes: number;
}

/** Who may create links: by role, per link kind, and whether external users may at all. */
export interface CreatorsPolicy {
  readonly send: readonly PolicyRole[];
  readonly share: readonly PolicyRole[];
  readonly externalUsers: boolean;
}

/** Recipient domains; an empty allowed list allows every domain that is not blocked. */
export interface RecipientsPolicy {
  readonly allowedDomains: readonly string[];
  readonly blockedDomains: readonly string[];
}

/** Defaults for the notifications of a link; a creator may change them per link. */
export interface NotificationsPolicy {
  readonly notifySenderOnDownload: boolean;
  readonly emailRecipients: boolean;
}

/** Every section of a policy except the group overrides. */
export interface PolicySections {
  readonly password: PasswordPolicy;
  readonly emailVerification: EmailVerificationPolicy;
  readonly oneTime: OneTimePolicy;
  readonly downloads: DownloadsPolicy;
  readonly expiry: ExpiryPolicy;
  readonly files: FilesPolicy;
  readonly creators: CreatorsPolicy;
  readonly recipients: RecipientsPolicy;
  readonly notifications: NotificationsPolicy;
}

export type PolicySection = keyof PolicySections;

/** A group's override: any subset of the sections, each with any subset of its fields. */
export type PolicyOverride = { readonly [S in PolicySection]?: Partial<PolicySections[S]> };

/** The organisation's policy with every field resolved (DESIGN.md, "Policy"). */
export interface PolicyDocument extends PolicySections {
  /** Stricter-only overrides, by IdP group name (matched exactly, case-sensitive). */
  readonly groups: Readonly<Record<string, PolicyOverride>>;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

export const DEFAULT_POLICY: PolicyDocument = deepFreeze({
  password: { mode: 'optional', minLength: 12, generate: false },
  emailVerification: { mode: 'optional', requiredOutsideDomains: [] },
  oneTime: { mode: 'optional' },
  downloads: { default: null, max: null },
  expiry: { defaultDays: 7, maxDays: 30, allowNever: false },
  files: { maxFileBytes: 10 * 1024 ** 3, maxTotalBytes: 10 * 1024 ** 3 },
  creators: { send: ['admin', 'manager', 'employee'], share: ['admin', 'manager'], externalUsers: false },
  recipients: { allowedDomains: [], blockedDomains: [] },
  notifications: { notifySenderOnDownload: true, emailRecipients: true },
  groups: Object.create(null) as Record<string, PolicyOverride>,
});

// ---- field schemas: one message per field, whatever went wrong with it ----

const wholeNumber = (min: number, max: number, message: string) =>
  z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message });

const flag = z.boolean({ error: 'must be true or false' });

const oneOf = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `must be one of ${values.join(', ')}` });

const unique = <T>(list: readonly T[]): T[] => [...new Set(list)];

const DOMAIN_MESSAGE = 'must be a domain name such as example.com (which also covers its subdomains)';
const domain = z.string({ error: DOMAIN_MESSAGE }).transform((raw, ctx) => {
  const normalized = normalizeDomain(raw);
  if (normalized === null) {
    ctx.addIssue({ code: 'custom', message: DOMAIN_MESSAGE });
    return z.NEVER;
  }
  return normalized;
});
const domains = z.array(domain, { error: 'must be a list of domain names' }).max(1000, { error: 'must have at most 1000 domains' }).transform(unique);

const roles = z.array(oneOf(POLICY_ROLES), { error: `must be a list of roles (${POLICY_ROLES.join(', ')})` }).transform(unique);

const downloadCount = wholeNumber(1, 1_000_000, 'must be a whole number from 1 to 1000000, or null for unlimited').nullable();
const days = wholeNumber(1, 3650, 'must be a whole number of days from 1 to 3650');
const bytes = wholeNumber(1, Number.MAX_SAFE_INTEGER, 'must be a whole number of bytes, at least 1');

/** The fields of every section; the key lists also name the known settings in error messages. */
const SECTION_SHAPES = {
  password: { mode: oneOf(GATE_MODES), minLength: wholeNumber(1, 1024, 'must be a whole number of characters from 1 to 1024'), generate: flag },
  emailVerification: { mode: oneOf(GATE_MODES), requiredOutsideDomains: domains },
  oneTime: { mode: oneOf(ONE_TIME_MODES) },
  downloads: { default: downloadCount, max: downloadCount },
  expiry: { defaultDays: days, maxDays: days, allowNever: flag },
  files: { maxFileBytes: bytes, maxTotalBytes: bytes },
  creators: { send: roles, share: roles, externalUsers: flag },
  recipients: { allowedDomains: domains, blockedDomains: domains },
  notifications: { notifySenderOnDownload: flag, emailRecipients: flag },
} as const;

const SECTION_NAMES = Object.keys(SECTION_SHAPES) as PolicySection[];

// ---- consistency within a section; on an override, only between the fields it sets ----

type Check<T> = (value: Partial<T>, ctx: z.RefinementCtx) => void;

const checkDownloads: Check<DownloadsPolicy> = (v, ctx) => {
  if (typeof v.default === 'number' && typeof v.max === 'number' && v.default > v.max) {
    ctx.addIssue({ code: 'custom', path: ['default'], message: `must not be more than downloads.max (${v.max})` });
  }
};

const checkExpiry: Check<ExpiryPolicy> = (v, ctx) => {
  if (v.defaultDays !== undefined && v.maxDays !== undefined && v.defaultDays > v.maxDays) {
    ctx.addIssue({ code: 'custom', path: ['defaultDays'], message: `must not be more than expiry.maxDays (${v.maxDays})` });
  }
};

const checkEmailVerification: Check<EmailVerificationPolicy> = (v, ctx) => {
  if (v.mode === 'off' && v.requiredOutsideDomains !== undefined && v.requiredOutsideDomains.length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['requiredOutsideDomains'],
      message: 'must be empty when mode is off (verification cannot be required where it is switched off)',
    });
  }
};

const CHECKS: { readonly [S in PolicySection]?: Check<PolicySections[S]> } = {
  downloads: checkDownloads,
  expiry: checkExpiry,
  emailVerification: checkEmailVerification,
};

const MAPPING = 'must be a mapping of settings';

function partialSection<S extends PolicySection>(name: S) {
  return z.strictObject(SECTION_SHAPES[name], { error: MAPPING }).partial();
}

/** Runs the section's consistency check; the schema's inferred types are too deep to relate generically. */
function checkSection(name: PolicySection, value: unknown, ctx: z.RefinementCtx): void {
  (CHECKS[name] as Check<object> | undefined)?.(value as object, ctx);
}

function overrideSection<S extends PolicySection>(name: S) {
  return partialSection(name).superRefine((v, ctx) => checkSection(name, v, ctx));
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A section of the organisation's policy: fields left out keep their defaults, then the whole section is checked. */
function documentSection<S extends PolicySection>(name: S) {
  return partialSection(name)
    .optional()
    .transform((v): PolicySections[S] => ({ ...DEFAULT_POLICY[name], ...withoutUndefined(v ?? {}) }) as PolicySections[S])
    .superRefine((v, ctx) => checkSection(name, v, ctx));
}

const overrideSchema = z
  .strictObject(
    {
      password: overrideSection('password'),
      emailVerification: overrideSection('emailVerification'),
      oneTime: overrideSection('oneTime'),
      downloads: overrideSection('downloads'),
      expiry: overrideSection('expiry'),
      files: overrideSection('files'),
      creators: overrideSection('creators'),
      recipients: overrideSection('recipients'),
      notifications: overrideSection('notifications'),
    },
    { error: 'must be a mapping of policy sections' },
  )
  .partial();

/**
 * IdP group names as providers spell them: plain names (`finance`, `Sales EMEA`), LDAP DNs
 * (`cn=finance,ou=groups,dc=example,dc=com`), paths (`/finance/emea`, Keycloak), `DOMAIN\\group`,
 * addresses (`finance@example.com`) and object ids. Never names that mean something to a JavaScript
 * object (`__proto__` would be dropped as a key, and the stricter rule with it).
 */
export const GROUP_NAME_PATTERN = /^[\p{L}\p{N}/][\p{L}\p{M}\p{N} ._@=,/\\:+#()&'-]{0,255}$/u;
const RESERVED_GROUP_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const GROUP_NAME_MESSAGE =
  "is not allowed: a group name starts with a letter, a digit or /, and holds only letters, digits, spaces and . _ @ = , / \\ : + # ( ) & ' - (at most 256 characters)";

const groupName = z
  .string()
  .min(1, { error: 'must not be empty' })
  .max(256, { error: 'must be at most 256 characters' })
  .refine((name) => GROUP_NAME_PATTERN.test(name) && !RESERVED_GROUP_NAMES.has(name), { error: GROUP_NAME_MESSAGE });

/** Keyed by group name in a null-prototype object: no group name can reach Object.prototype. */
function groupMap<T>(entries: Record<string, T>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, entries);
}

/** zod skips an own `__proto__` key without a word; it is refused here, before the record is read. */
const withoutProtoKey = (value: unknown, ctx: z.RefinementCtx): unknown => {
  if (value !== null && typeof value === 'object' && Object.hasOwn(value, '__proto__')) {
    ctx.addIssue({ code: 'custom', path: [], message: `the group name "__proto__" ${GROUP_NAME_MESSAGE}` });
  }
  return value;
};

const groupsSchema = z
  .preprocess(withoutProtoKey, z.record(groupName, overrideSchema, {
    error: (issue) => (issue.code === 'invalid_type' ? 'must be a mapping from IdP group names to overrides' : undefined),
  }))
  .optional()
  .transform((v) => groupMap(v ?? {}));

/** The policy document as it arrives (API body or YAML file); the output is fully resolved. */
export const policySchema = z.strictObject(
  {
    password: documentSection('password'),
    emailVerification: documentSection('emailVerification'),
    oneTime: documentSection('oneTime'),
    downloads: documentSection('downloads'),
    expiry: documentSection('expiry'),
    files: documentSection('files'),
    creators: documentSection('creators'),
    recipients: documentSection('recipients'),
    notifications: documentSection('notifications'),
    groups: groupsSchema,
  },
  { error: 'the policy must be a mapping of sections' },
);

type DeepReadonly<T> = T extends readonly (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** A policy document as written: every section and every field may be left out. */
export type PolicyInput = DeepReadonly<z.input<typeof policySchema>>;

/** One thing wrong with a policy document, at a key path (`['groups', 'finance', 'expiry', 'maxDays']`). */
export interface PolicyIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** `expiry.maxDays`; `(policy)` for the document itself. */
export const dottedPath = (path: readonly (string | number)[]): string => (path.length > 0 ? path.join('.') : '(policy)');

/** The settings that may appear in the mapping at `path`, for naming them next to an unknown key. */
function knownKeys(path: readonly (string | number)[]): readonly string[] {
  const inGroup = path[0] === 'groups';
  const rest = inGroup ? path.slice(2) : path;
  if (inGroup && path.length < 2) {
    return [];
  }
  if (rest.length === 0) {
    return inGroup ? SECTION_NAMES : [...SECTION_NAMES, 'groups'];
  }
  const shape = SECTION_SHAPES[rest[0] as PolicySection] as object | undefined;
  return rest.length === 1 && shape ? Object.keys(shape) : [];
}

function toIssues(issue: z.core.$ZodIssue): PolicyIssue[] {
  const path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(path);
    const hint = known.length > 0 ? ` (expected one of: ${known.join(', ')})` : '';
    return issue.keys.map((key) => ({ path: [...path, key], message: `is not a known setting${hint}` }));
  }
  if (issue.code === 'invalid_key') {
    // Reported on the mapping that holds the key: the key itself may be the empty string.
    const reason = issue.issues[0]?.message ?? 'is not allowed';
    return [{ path: path.slice(0, -1), message: `the group name ${JSON.stringify(path[path.length - 1])} ${reason}` }];
  }
  return [{ path, message: issue.message }];
}

/** Validates and resolves a policy document, or lists every problem with it. */
export function validatePolicy(input: unknown): { ok: true; policy: PolicyDocument } | { ok: false; issues: PolicyIssue[] } {
  const result = policySchema.safeParse(input);
  if (result.success) {
    return { ok: true, policy: result.data };
  }
  return { ok: false, issues: result.error.issues.flatMap(toIssues) };
}

/** A policy document that cannot be saved or loaded; `details.problems` lists `{ path, message }`. */
export class PolicyInvalidError extends InvalidInputError {
  constructor(readonly issues: readonly PolicyIssue[]) {
    const problems = issues.map((i) => ({ path: dottedPath(i.path), message: i.message }));
    super('policy_invalid', `The policy is not valid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}.`, { problems });
    this.name = 'PolicyInvalidError';
  }
}

/** The resolved policy; throws PolicyInvalidError naming each bad key. */
export function parsePolicy(input: unknown): PolicyDocument {
  const result = validatePolicy(input);
  if (!result.ok) {
    throw new PolicyInvalidError(result.issues);
  }
  return result.policy;
}
