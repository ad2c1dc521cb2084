import { randomInt } from 'node:crypto';
import { DomainError, InvalidInputError } from '@mft/core';
import { coveredBy, domainCovers, emailDomain } from './domains.js';
import type { EffectivePolicy } from './effective-policy.js';
import type { DownloadsPolicy, EmailVerificationPolicy, ExpiryPolicy, GateMode, OneTimeMode, PasswordPolicy } from './policy.schema.js';

/** What a creator asked for. `undefined` always means "not specified": the policy's default applies. */
export interface LinkRequest {
  readonly kind: 'send' | 'share';
  /** Email addresses; may be empty (one anonymous grant). */
  readonly recipients: readonly string[];
  /** undefined = not specified; null or '' = explicitly no password. */
  readonly password?: string | null;
  readonly requireEmailVerification?: boolean;
  readonly oneTime?: boolean;
  /** null = explicitly unlimited. */
  readonly maxDownloads?: number | null;
  /** undefined = the default expiry; 'never' = no expiry. */
  readonly expiresAt?: Date | 'never';
  readonly notifySenderOnDownload?: boolean;
  readonly emailRecipients?: boolean;
  /** Sizes known when the options are decided (a send link's files after upload); may be empty before. */
  readonly fileSizes?: readonly number[];
}

/** Who creates the link, as far as the policy cares. */
export interface Creator {
  readonly roles: readonly string[];
  readonly external: boolean;
}

/** A link's security options once the policy is applied. */
export interface ResolvedLinkOptions {
  /** The password in clear, to be hashed by the caller; when generated, shown once to the creator. */
  readonly password: string | null;
  readonly passwordGenerated: boolean;
  readonly requireEmailVerification: boolean;
  readonly oneTime: boolean;
  readonly maxDownloads: number | null;
  /** null = never expires. */
  readonly expiresAt: Date | null;
  readonly notifySenderOnDownload: boolean;
  readonly emailRecipients: boolean;
}

/** Every rule a link request can break; the error code is `policy_<rule>`. */
export const POLICY_RULES = [
  'creator_role_not_allowed',
  'creators_share',
  'external_creator_not_allowed',
  'recipient_domain_blocked',
  'recipient_domain_not_allowed',
  'file_too_large',
  'total_too_large',
  'password_not_allowed',
  'password_required',
  'password_too_short',
  'email_verification_not_allowed',
  'email_verification_required',
  'one_time_required',
  'downloads_too_many',
  'downloads_unlimited_not_allowed',
  'expiry_never_not_allowed',
  'expiry_too_long',
  'expiry_in_past',
] as const;
export type PolicyRule = (typeof POLICY_RULES)[number];

/**
 * A request for less than the policy enforces. Never clamped silently: the creator sees the rule,
 * the allowed range and what they asked for. `details` never holds a password.
 */
export class PolicyViolationError extends DomainError {
  constructor(
    readonly rule: PolicyRule,
    explanation: string,
    allowed: unknown,
    requested: unknown,
  ) {
    super('policy', `policy_${rule}`, `policy_${rule}: ${explanation}`, { rule, allowed, requested });
    this.name = 'PolicyViolationError';
  }
}

const DAY_MS = 86_400_000;
/** Tolerance for the clock of the client that computed "30 days from now" being ahead of ours. */
export const EXPIRY_SLACK_MS = 60_000;
/** No 0/O/o, 1/l/I/i: a generated password is often read off a screen and typed again. */
const PASSWORD_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz';
const MIN_GENERATED_LENGTH = 16;

const list = (items: readonly string[]): string => items.join(', ');

function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  const power = Math.min(units.length - 1, Math.floor(Math.log(Math.max(n, 1)) / Math.log(1024)));
  return power === 0 ? `${n} bytes` : `${n} bytes (${(n / 1024 ** power).toFixed(1).replace(/\.0$/, '')} ${units[power]})`;
}

/** A CSPRNG password of at least 16 characters from an unambiguous alphabet. */
export function generatePassword(minLength: number): string {
  const length = Math.max(minLength, MIN_GENERATED_LENGTH);
  return Array.from({ length }, () => PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)]).join('');
}

// ---- request shape: contradictions and malformed values are input errors, not policy ----

function assertWellFormed(req: LinkRequest): void {
  if (req.oneTime === true && req.maxDownloads !== undefined && req.maxDownloads !== 1) {
    throw new InvalidInputError('one_time_conflicts_with_max_downloads', 'oneTime allows exactly one download; leave maxDownloads out or set it to 1.', {
      maxDownloads: req.maxDownloads,
    });
  }
  if (typeof req.maxDownloads === 'number' && !(Number.isSafeInteger(req.maxDownloads) && req.maxDownloads >= 1)) {
    throw new InvalidInputError('invalid_max_downloads', 'maxDownloads must be a whole number of at least 1, or null for unlimited.');
  }
  if (req.expiresAt instanceof Date && Number.isNaN(req.expiresAt.getTime())) {
    throw new InvalidInputError('invalid_expiry', 'expiresAt is not a valid date.');
  }
  const badSize = (req.fileSizes ?? []).find((s) => !(Number.isSafeInteger(s) && s >= 0));
  if (badSize !== undefined) {
    throw new InvalidInputError('invalid_file_size', `A file size must be a whole number of bytes; got ${badSize}.`);
  }
}

/** The canonical domain of every recipient, in order; throws on an address without one. */
function recipientDomains(recipients: readonly string[]): string[] {
  return recipients.map((r) => {
    const domain = emailDomain(r);
    if (domain === null) {
      throw new InvalidInputError('invalid_recipient', `${r} is not an email address with a valid domain.`, { recipient: r });
    }
    return domain;
  });
}

// ---- who may create, to whom, how much ----

/** Refuses (422, the policy's rule) a creator the policy does not let create links of `kind`; checked again when the link is made. */
export function assertCreator(policy: EffectivePolicy, kind: LinkRequest['kind'], creator: Creator): void {
  if (creator.external && !policy.creators.externalUsers) {
    throw new PolicyViolationError(
      'external_creator_not_allowed',
      'external users may not create links here.',
      { externalUsers: false },
      { external: true },
    );
  }
  // External creators also need a listed role (usually `external`), so that an admin can allow them sends but not shares.
  const allowed = policy.creators[kind];
  if (!creator.roles.some((r) => (allowed as readonly string[]).includes(r))) {
    const who = allowed.length > 0 ? `only ${list(allowed)} may create ${kind} links` : `nobody may create ${kind} links`;
    // Shares have a rule code of their own (the contract's `policy_creators_share`); sends keep theirs.
    throw new PolicyViolationError(
      kind === 'share' ? 'creators_share' : 'creator_role_not_allowed',
      `${who} (creators.${kind}); your roles are ${list(creator.roles) || 'none'}.`,
      { roles: allowed },
      { roles: creator.roles },
    );
  }
}

/**
 * Domain rules apply to every named recipient. A link without recipients passes them: it names nobody
 * (email verification, when in force, then attributes each download to a verified address).
 */
function assertRecipients(policy: EffectivePolicy, recipients: readonly string[], domains: readonly string[]): void {
  const { allowedDomains, blockedDomains, noDomainAllowed } = policy.recipients;
  domains.forEach((domain, i) => {
    const recipient = recipients[i]!;
    const blocked = blockedDomains.find((pattern) => domainCovers(pattern, domain));
    if (blocked !== undefined) {
      throw new PolicyViolationError(
        'recipient_domain_blocked',
        `links may not be sent to ${blocked} or its subdomains; ${recipient} is one of them.`,
        { blockedDomains },
        { recipient },
      );
    }
    if (noDomainAllowed) {
      throw new PolicyViolationError(
        'recipient_domain_not_allowed',
        `your groups allow no recipient domain in common, so a link may not name ${recipient}; create it without recipients.`,
        { allowedDomains: [] },
        { recipient },
      );
    }
    if (allowedDomains.length > 0 && !coveredBy(domain, allowedDomains)) {
      throw new PolicyViolationError(
        'recipient_domain_not_allowed',
        `links may only be sent to ${list(allowedDomains)} and their subdomains; ${recipient} is outside them.`,
        { allowedDomains },
        { recipient },
      );
    }
  });
}

function assertFiles(policy: EffectivePolicy, sizes: readonly number[]): void {
  const { maxFileBytes, maxTotalBytes } = policy.files;
  const largest = sizes.reduce((max, s) => Math.max(max, s), 0);
  if (largest > maxFileBytes) {
    throw new PolicyViolationError(
      'file_too_large',
      `maximum is ${formatBytes(maxFileBytes)} per file; a file has ${formatBytes(largest)}.`,
      { maxFileBytes },
      { fileBytes: largest },
    );
  }
  const total = sizes.reduce((sum, s) => sum + s, 0);
  if (total > maxTotalBytes) {
    throw new PolicyViolationError(
      'total_too_large',
      `maximum is ${formatBytes(maxTotalBytes)} per link; the files have ${formatBytes(total)} together.`,
      { maxTotalBytes },
      { totalBytes: total },
    );
  }
}

// ---- on/off options under an enforcement mode ----

type Gate = { on: boolean } | { refused: 'not_allowed' | 'required' };

/** `off`: may not be turned on; `optional`: off unless asked; `default`: on unless turned off; `required`: may not be turned off. */
function gate(mode: GateMode, requested: boolean | undefined): Gate {
  switch (mode) {
    case 'off':
      return requested === true ? { refused: 'not_allowed' } : { on: false };
    case 'optional':
      return { on: requested ?? false };
    case 'default':
      return { on: requested ?? true };
    case 'required':
      return requested === false ? { refused: 'required' } : { on: true };
  }
}

/**
 * A password that is due (`default` or `required`) but not given is generated when the policy says so;
 * otherwise the request is refused, under `default` too: the creator must give one or explicitly set none,
 * since a default-on password cannot be made up silently and leaving it off would ignore the default.
 */
function resolvePassword(policy: PasswordPolicy, requested: string | null | undefined): { password: string | null; generated: boolean } {
  const given = requested === undefined ? undefined : requested !== null && requested !== '';
  const outcome = gate(policy.mode, given);
  const range = `at least ${policy.minLength} characters`;
  if ('refused' in outcome) {
    throw outcome.refused === 'not_allowed'
      ? new PolicyViolationError(
        'password_not_allowed',
        'links may not have a password here; leave the password out.',
        { mode: policy.mode },
        { password: true },
      )
      : new PolicyViolationError(
        'password_required',
        `every link needs a password of ${range}; requested none.`,
        { mode: policy.mode, minLength: policy.minLength },
        { password: false },
      );
  }
  if (!outcome.on) {
    return { password: null, generated: false };
  }
  if (typeof requested === 'string' && requested !== '') {
    const length = [...requested].length;
    if (length < policy.minLength) {
      throw new PolicyViolationError(
        'password_too_short',
        `a link password needs ${range}; the one given has ${length}.`,
        { minLength: policy.minLength },
        { length },
      );
    }
    return { password: requested, generated: false };
  }
  if (policy.generate) {
    return { password: generatePassword(policy.minLength), generated: true };
  }
  const why = policy.mode === 'default' ? 'links get a password by default: give one, or set none explicitly' : 'every link needs a password: give one';
  throw new PolicyViolationError('password_required', `${why} (${range}).`, { mode: policy.mode, minLength: policy.minLength }, { password: null });
}

/**
 * Verification is required when any recipient is outside `requiredOutsideDomains` (when that list is set),
 * and also for a link without recipients: whoever opens it is unknown, so may well be outside.
 * An email-verified link without recipients is allowed: any address may verify, and each download is
 * attributed to the verified address.
 */
function resolveEmailVerification(policy: EmailVerificationPolicy, requested: boolean | undefined, domains: readonly string[]): boolean {
  const scope = policy.requiredOutsideDomains;
  const outsider = scope.length > 0 && (domains.length === 0 || domains.some((d) => !coveredBy(d, scope)));
  const mode: GateMode = outsider ? 'required' : policy.mode;
  const outcome = gate(mode, requested);
  if ('refused' in outcome) {
    throw outcome.refused === 'not_allowed'
      ? new PolicyViolationError(
        'email_verification_not_allowed',
        'email-verified links are switched off here; leave requireEmailVerification out or false.',
        { mode },
        { requireEmailVerification: true },
      )
      : new PolicyViolationError(
          'email_verification_required',
          outsider
            ? `recipients outside ${list(scope)} must verify their email${domains.length === 0 ? ', and a link without recipients may reach anyone' : ''}; requested no verification.`
            : 'every link needs email-verified recipients; requested no verification.',
          { mode, requiredOutsideDomains: scope },
          { requireEmailVerification: false },
        );
  }
  return outcome.on;
}

/**
 * One-time use. Under `default`, an explicit maxDownloads other than 1 (or null) is taken as turning
 * one-time use off: a default yields to an explicit choice. Under `forced` it is refused.
 */
function resolveOneTime(mode: OneTimeMode, req: LinkRequest): boolean {
  const wantsMore = req.maxDownloads !== undefined && req.maxDownloads !== 1;
  const requested = req.oneTime ?? (wantsMore ? false : undefined);
  switch (mode) {
    case 'optional':
      return requested ?? false;
    case 'default':
      return requested ?? true;
    case 'forced':
      if (requested === false) {
        throw new PolicyViolationError(
          'one_time_required',
          'every link is one-time (one download); leave oneTime out or true, and maxDownloads out or 1.',
          { oneTime: true, maxDownloads: 1 },
          { oneTime: req.oneTime ?? null, maxDownloads: req.maxDownloads ?? null },
        );
      }
      return true;
  }
}

/**
 * Not specified: the default, which is the maximum when the default is unlimited and a maximum is set
 * (the default can never exceed the maximum). Explicitly unlimited (null) is refused under a maximum.
 */
function resolveMaxDownloads(policy: DownloadsPolicy, requested: number | null | undefined): number | null {
  const { max } = policy;
  if (requested === undefined) {
    return policy.default === null ? max : max === null ? policy.default : Math.min(policy.default, max);
  }
  if (max !== null && requested === null) {
    throw new PolicyViolationError(
      'downloads_unlimited_not_allowed',
      `downloads must be limited, at most ${max}; requested unlimited.`,
      { max },
      { maxDownloads: null },
    );
  }
  if (max !== null && requested !== null && requested > max) {
    throw new PolicyViolationError(
      'downloads_too_many',
      `maximum is ${max} downloads; requested ${requested}.`,
      { max },
      { maxDownloads: requested },
    );
  }
  return requested;
}

/** `allowNever` permits no expiry at all; an explicit date is still held to `maxDays`. */
function resolveExpiry(policy: ExpiryPolicy, requested: Date | 'never' | undefined, now: Date): Date | null {
  const latest = now.getTime() + policy.maxDays * DAY_MS;
  if (requested === undefined) {
    return new Date(Math.min(now.getTime() + policy.defaultDays * DAY_MS, latest));
  }
  if (requested === 'never') {
    if (!policy.allowNever) {
      throw new PolicyViolationError(
        'expiry_never_not_allowed',
        `links must expire, at most ${policy.maxDays} days from now; requested never.`,
        { maxDays: policy.maxDays, allowNever: false },
        { expiresAt: 'never' },
      );
    }
    return null;
  }
  const at = requested.getTime();
  if (at <= now.getTime()) {
    throw new PolicyViolationError(
      'expiry_in_past',
      `the expiry must be in the future (after ${now.toISOString()}); requested ${requested.toISOString()}.`,
      { after: now.toISOString() },
      { expiresAt: requested.toISOString() },
    );
  }
  if (at > latest + EXPIRY_SLACK_MS) {
    const days = ((at - now.getTime()) / DAY_MS).toFixed(1);
    throw new PolicyViolationError(
      'expiry_too_long',
      `maximum is ${policy.maxDays} days (until ${new Date(latest).toISOString()}); requested ${requested.toISOString()}, ${days} days from now.`,
      { maxDays: policy.maxDays, latest: new Date(latest).toISOString() },
      { expiresAt: requested.toISOString() },
    );
  }
  return new Date(at);
}

/**
 * Decides a link's security options: what is left out gets the policy's default, what is asked for is
 * checked against the policy, and a request for less than it enforces throws PolicyViolationError naming
 * the rule (a contradictory or malformed request throws InvalidInputError). Nothing is clamped silently.
 */
export function applyPolicy(policy: EffectivePolicy, req: LinkRequest, creator: Creator, now: Date): ResolvedLinkOptions {
  assertWellFormed(req);
  const domains = recipientDomains(req.recipients);
  assertCreator(policy, req.kind, creator);
  assertRecipients(policy, req.recipients, domains);
  assertFiles(policy, req.fileSizes ?? []);
  const { password, generated } = resolvePassword(policy.password, req.password);
  const requireEmailVerification = resolveEmailVerification(policy.emailVerification, req.requireEmailVerification, domains);
  const oneTime = resolveOneTime(policy.oneTime.mode, req);
  return {
    password,
    passwordGenerated: generated,
    requireEmailVerification,
    oneTime,
    maxDownloads: oneTime ? 1 : resolveMaxDownloads(policy.downloads, req.maxDownloads),
    expiresAt: resolveExpiry(policy.expiry, req.expiresAt, now),
    // Notifications are defaults, not restrictions: the creator's choice always stands.
    notifySenderOnDownload: req.notifySenderOnDownload ?? policy.notifications.notifySenderOnDownload,
    emailRecipients: req.emailRecipients ?? policy.notifications.emailRecipients,
  };
}

/** What an existing link is, as far as the policy cares. */
export interface ExistingLink {
  readonly kind: 'send' | 'share';
  readonly createdAt: Date;
  /** null = never expires. */
  readonly expiresAt: Date | null;
  readonly passwordProtected: boolean;
  readonly requireEmailVerification: boolean;
  readonly oneTime: boolean;
  readonly maxDownloads: number | null;
  readonly fileSizes: readonly number[];
  /** The recipients of its grants that can still be used. */
  readonly recipients: readonly string[];
}

/** Every rule an existing link breaks, each with the refusal that creating it now would get. */
export function linkViolations(policy: EffectivePolicy, link: ExistingLink, creator: Creator): PolicyViolationError[] {
  // The link as a request that states every option, judged as of its creation (so that expiry is
  // measured from then). A password's length is unknown once hashed: a placeholder of the minimum
  // length stands for it, so that only its presence is judged.
  const req: LinkRequest = {
    kind: link.kind,
    recipients: link.recipients,
    password: link.passwordProtected ? 'x'.repeat(policy.password.minLength) : null,
    requireEmailVerification: link.requireEmailVerification,
    oneTime: link.oneTime,
    maxDownloads: link.oneTime ? undefined : link.maxDownloads,
    expiresAt: link.expiresAt ?? 'never',
    fileSizes: link.fileSizes,
  };
  const domains = link.recipients.map((r) => emailDomain(r)).filter((d): d is string => d !== null);
  const checks: Array<() => unknown> = [
    () => assertCreator(policy, req.kind, creator),
    () => assertRecipients(policy, req.recipients, domains),
    () => assertFiles(policy, link.fileSizes),
    () => resolvePassword(policy.password, req.password),
    () => resolveEmailVerification(policy.emailVerification, req.requireEmailVerification, domains),
    () => resolveOneTime(policy.oneTime.mode, req),
    () => (link.oneTime ? 1 : resolveMaxDownloads(policy.downloads, req.maxDownloads)),
    () => resolveExpiry(policy.expiry, req.expiresAt, link.createdAt),
  ];
  const found: PolicyViolationError[] = [];
  for (const check of checks) {
    try {
      check();
    } catch (err) {
      if (!(err instanceof PolicyViolationError)) {
        throw err;
      }
      found.push(err);
    }
  }
  return found;
}
