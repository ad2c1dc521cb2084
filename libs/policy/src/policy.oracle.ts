// Test support only (imported by tests, never by the library): an independent statement of what
// applyPolicy must do, for property tests at the library and at the API.
import { POLICY_RULES, type Creator, type LinkRequest, type PolicyRule, type ResolvedLinkOptions } from './apply-policy.js';
import type { EffectivePolicy } from './effective-policy.js';

// Everything below re-states the rules of DESIGN.md "Policy" and of applyPolicy's contract without using
// the implementation: domain matching, modes and limits are written out again.

export const DAY = 86_400_000;
export const SLACK = 60_000;

const domainOf = (email: string): string => email.slice(email.lastIndexOf('@') + 1).toLowerCase();
const inside = (domain: string, list: readonly string[]): boolean => list.some((d) => domain === d || domain.endsWith(`.${d}`));
const codePoints = (s: string): number => Array.from(s).length;
const givesPassword = (p: string | null | undefined): p is string => typeof p === 'string' && p.length > 0;
const explicitlyNoPassword = (p: string | null | undefined): boolean => p === null || p === '';

/** Email verification is forced on by the domain rule: an outsider, or nobody named (unknown, so maybe outside). */
function outsiderForces(policy: EffectivePolicy, req: LinkRequest): boolean {
  const scope = policy.emailVerification.requiredOutsideDomains;
  return scope.length > 0 && (req.recipients.length === 0 || req.recipients.some((r) => !inside(domainOf(r), scope)));
}

/** The request asks for more downloads than one, explicitly. */
const asksForMore = (req: LinkRequest): boolean => req.maxDownloads !== undefined && req.maxDownloads !== 1;

/** Every rule the request breaks under `policy`, each by its own predicate. */
export function brokenRules(policy: EffectivePolicy, req: LinkRequest, creator: Creator, now: Date): Set<PolicyRule> {
  const p = policy;
  const domains = req.recipients.map(domainOf);
  const sizes = req.fileSizes ?? [];
  const at = req.expiresAt instanceof Date ? req.expiresAt.getTime() : null;
  const verifyRequired = p.emailVerification.mode === 'required' || outsiderForces(p, req);
  const checks: Record<PolicyRule, boolean> = {
    external_creator_not_allowed: creator.external && !p.creators.externalUsers,
    creator_role_not_allowed: req.kind === 'send' && !creator.roles.some((r) => (p.creators.send as readonly string[]).includes(r)),
    creators_share: req.kind === 'share' && !creator.roles.some((r) => (p.creators.share as readonly string[]).includes(r)),
    recipient_domain_blocked: domains.some((d) => inside(d, p.recipients.blockedDomains)),
    recipient_domain_not_allowed: domains.some((d) => p.recipients.noDomainAllowed || (p.recipients.allowedDomains.length > 0 && !inside(d, p.recipients.allowedDomains))),
    file_too_large: sizes.some((s) => s > p.files.maxFileBytes),
    total_too_large: sizes.reduce((a, b) => a + b, 0) > p.files.maxTotalBytes,
    password_not_allowed: p.password.mode === 'off' && givesPassword(req.password),
    password_required:
      (p.password.mode === 'required' && explicitlyNoPassword(req.password)) ||
      ((p.password.mode === 'required' || p.password.mode === 'default') && req.password === undefined && !p.password.generate),
    password_too_short: p.password.mode !== 'off' && givesPassword(req.password) && codePoints(req.password) < p.password.minLength,
    email_verification_not_allowed: p.emailVerification.mode === 'off' && !outsiderForces(p, req) && req.requireEmailVerification === true,
    email_verification_required: verifyRequired && req.requireEmailVerification === false,
    one_time_required: p.oneTime.mode === 'forced' && (req.oneTime === false || asksForMore(req)),
    downloads_too_many: p.downloads.max !== null && typeof req.maxDownloads === 'number' && req.maxDownloads > p.downloads.max,
    downloads_unlimited_not_allowed: p.downloads.max !== null && req.maxDownloads === null,
    expiry_never_not_allowed: req.expiresAt === 'never' && !p.expiry.allowNever,
    expiry_in_past: at !== null && at <= now.getTime(),
    expiry_too_long: at !== null && at > now.getTime() + p.expiry.maxDays * DAY + SLACK,
  };
  return new Set(POLICY_RULES.filter((rule) => checks[rule]));
}

export const conflicting = (req: LinkRequest): boolean => req.oneTime === true && asksForMore(req);

/**
 * What the resolved options must be under `policy`; each failed expectation is named. `toleranceMs`
 * allows for a default expiry computed by another clock (a server's) a moment apart from `now`.
 */
export function satisfies(policy: EffectivePolicy, o: ResolvedLinkOptions, req: LinkRequest, now: Date, toleranceMs = 0): string[] {
  const p = policy;
  const failures: string[] = [];
  const expect = (ok: boolean, what: string) => {
    if (!ok) {
      failures.push(what);
    }
  };
  // Password
  expect(o.password === null || codePoints(o.password) >= p.password.minLength, 'password at least minLength');
  expect(p.password.mode !== 'off' || o.password === null, 'no password when off');
  expect(p.password.mode !== 'required' || o.password !== null, 'a password when required');
  if (givesPassword(req.password)) {
    expect(o.password === req.password && !o.passwordGenerated, 'the given password is kept');
  } else if (explicitlyNoPassword(req.password)) {
    expect(o.password === null, 'explicitly no password');
  } else {
    const due = p.password.mode === 'default' || p.password.mode === 'required';
    expect(o.passwordGenerated === due && (o.password !== null) === due, 'a password is generated exactly when due');
  }
  if (o.passwordGenerated) {
    expect(p.password.generate && codePoints(o.password!) >= Math.max(p.password.minLength, 16) && /^[2-9A-HJ-NP-Za-km-np-z]+$/.test(o.password!), 'a generated password');
  }
  // Email verification
  const forced = p.emailVerification.mode === 'required' || outsiderForces(p, req);
  if (forced) {
    expect(o.requireEmailVerification, 'verification when required');
  } else if (req.requireEmailVerification !== undefined) {
    expect(o.requireEmailVerification === req.requireEmailVerification, 'verification as asked');
    expect(p.emailVerification.mode !== 'off' || !o.requireEmailVerification, 'no verification when off');
  } else {
    expect(o.requireEmailVerification === (p.emailVerification.mode === 'default'), 'verification default');
  }
  // One-time and downloads
  if (p.oneTime.mode === 'forced') {
    expect(o.oneTime, 'one-time when forced');
  } else if (req.oneTime !== undefined) {
    expect(o.oneTime === req.oneTime, 'one-time as asked');
  } else {
    expect(o.oneTime === (p.oneTime.mode === 'default' && !asksForMore(req)), 'one-time default');
  }
  if (o.oneTime) {
    expect(o.maxDownloads === 1, 'one-time is one download');
  } else {
    const max = p.downloads.max;
    expect(max === null || (o.maxDownloads !== null && o.maxDownloads <= max), 'downloads within the max');
    const expected = req.maxDownloads !== undefined ? req.maxDownloads : (p.downloads.default ?? max);
    expect(o.maxDownloads === expected, 'downloads as asked, or the default');
  }
  // Expiry
  if (req.expiresAt === 'never') {
    expect(o.expiresAt === null && p.expiry.allowNever, 'never only when allowed');
  } else if (req.expiresAt instanceof Date) {
    const t = req.expiresAt.getTime();
    expect(o.expiresAt?.getTime() === t && t > now.getTime() && t <= now.getTime() + p.expiry.maxDays * DAY + SLACK, 'expiry as asked, within range');
  } else {
    const off = Math.abs((o.expiresAt?.getTime() ?? NaN) - (now.getTime() + p.expiry.defaultDays * DAY));
    expect(off <= toleranceMs && p.expiry.defaultDays <= p.expiry.maxDays, 'default expiry');
  }
  // Notifications
  expect(o.notifySenderOnDownload === (req.notifySenderOnDownload ?? p.notifications.notifySenderOnDownload), 'notify sender');
  expect(o.emailRecipients === (req.emailRecipients ?? p.notifications.emailRecipients), 'email recipients');
  return failures;
}

