import { coveredBy, intersectDomains, unionDomains } from './domains.js';
import {
  GATE_MODES,
  ONE_TIME_MODES,
  type PolicyDocument,
  type PolicyOverride,
  type PolicySection,
  type PolicySections,
  type RecipientsPolicy,
} from './policy.schema.js';

/** The recipients section as it applies to one user. */
export interface EffectiveRecipientsPolicy extends RecipientsPolicy {
  /**
   * True when the applied groups' allowed-domain lists have no domain in common. An empty
   * `allowedDomains` alone means "any domain", so this flag carries "no domain at all".
   */
  readonly noDomainAllowed: boolean;
}

/** The policy in force for one user: the organisation's, tightened by every override of the user's groups. */
export interface EffectivePolicy extends Omit<PolicySections, 'recipients'> {
  readonly recipients: EffectiveRecipientsPolicy;
  /** The user's groups that carry an override, in the order the policy lists them. */
  readonly appliedGroups: readonly string[];
}

/**
 * How one field combines, which is what "stricter" means for it.
 * - `limit`: a restriction. In force is the strictest of the organisation's value and every applied
 *   group's value, so an override can never loosen anything. A group value is *looser* when combining
 *   it with the organisation's value changes it: the group asked for something the organisation forbids.
 * - `preset`: a default that the creator may change per link (or a convenience). A group's value
 *   replaces the organisation's; `combine` settles disagreeing groups. A preset is never looser in
 *   itself; default amounts are checked against the maximum that applies to the group instead.
 */
interface FieldRule<T> {
  readonly kind: 'limit' | 'preset';
  readonly combine: (a: T, b: T) => T;
  readonly same: (a: T, b: T) => boolean;
  /**
   * A value that restricts nothing (an empty domain scope): left out before combining, so that scopes
   * narrowed to nothing stay nothing instead of reading as "no scope" that a third list widens again.
   * Anything is at least as strict as it; it is looser than any restricting value.
   */
  readonly unrestricted?: (value: T) => boolean;
}

type FieldRules = { readonly [S in PolicySection]: { readonly [F in keyof PolicySections[S]]-?: FieldRule<PolicySections[S][F]> } };

const sameValue = <T>(a: T, b: T): boolean => a === b;
const sameSet = <T>(a: readonly T[], b: readonly T[]): boolean => a.every((x) => b.includes(x)) && b.every((x) => a.includes(x));
/** Two domain lists are the same when each covers the other (`[a.com, x.a.com]` is `[a.com]`). */
const sameDomains = (a: readonly string[], b: readonly string[]): boolean =>
  a.every((d) => coveredBy(d, b)) && b.every((d) => coveredBy(d, a));

const limit = <T>(combine: (a: T, b: T) => T, same: (a: T, b: T) => boolean = sameValue, unrestricted?: (value: T) => boolean): FieldRule<T> => ({
  kind: 'limit',
  combine,
  same,
  unrestricted,
});
const preset = <T>(combine: (a: T, b: T) => T): FieldRule<T> => ({ kind: 'preset', combine, same: sameValue });

/** The later a mode comes in `order`, the stricter it is. */
const strictestOf =
  <M extends string>(order: readonly M[]) =>
  (a: M, b: M): M =>
    order.indexOf(a) >= order.indexOf(b) ? a : b;
const higher = (a: number, b: number): number => Math.max(a, b);
const lower = (a: number, b: number): number => Math.min(a, b);
/** Null is unlimited, so any number is stricter than null. */
const lowerOrUnlimited = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));
const both = (a: boolean, b: boolean): boolean => a && b;
const either = (a: boolean, b: boolean): boolean => a || b;
const commonRoles = <R>(a: readonly R[], b: readonly R[]): R[] => a.filter((r) => b.includes(r));
/** An empty scope is no restriction; non-empty scopes narrow to what all of them cover (possibly nothing). */
const scope = limit<readonly string[]>(intersectDomains, sameDomains, (list) => list.length === 0);

/** What "stricter" means, field by field. */
const FIELD_RULES: FieldRules = {
  password: {
    mode: limit(strictestOf(GATE_MODES)), // off < optional < default < required
    minLength: limit(higher),
    // Generating is a convenience, not a restriction: a generated password is at least as strong as a typed one.
    generate: preset(either),
  },
  emailVerification: {
    mode: limit(strictestOf(GATE_MODES)),
    // A recipient outside the list must verify; a narrower non-empty list makes more recipients verify.
    requiredOutsideDomains: scope,
  },
  oneTime: { mode: limit(strictestOf(ONE_TIME_MODES)) }, // optional < default < forced
  downloads: { default: preset(lowerOrUnlimited), max: limit(lowerOrUnlimited) },
  expiry: { defaultDays: preset(lower), maxDays: limit(lower), allowNever: limit(both) },
  files: { maxFileBytes: limit(lower), maxTotalBytes: limit(lower) },
  creators: { send: limit(commonRoles, sameSet), share: limit(commonRoles, sameSet), externalUsers: limit(both) },
  recipients: {
    allowedDomains: scope,
    // An override states the group's whole list: it must still block what the organisation blocks.
    blockedDomains: limit<readonly string[]>(unionDomains, sameDomains),
  },
  // Notifications are defaults the creator may change per link; when groups disagree, notifying wins.
  notifications: { notifySenderOnDownload: preset(either), emailRecipients: preset(either) },
};

const SECTIONS = Object.keys(FIELD_RULES) as PolicySection[];

function ruleOf(section: PolicySection, field: string): FieldRule<unknown> | undefined {
  return (FIELD_RULES[section] as Record<string, FieldRule<unknown>>)[field];
}

/** A limit value is at least as strict as another when combining the two leaves it as it is. */
function atLeastAsStrict(rule: FieldRule<unknown>, candidate: unknown, reference: unknown): boolean {
  if (rule.unrestricted?.(reference)) {
    return true;
  }
  if (rule.unrestricted?.(candidate)) {
    return false;
  }
  return rule.same(rule.combine(candidate, reference), candidate);
}

/**
 * Whether `candidate` is at least as strict as `reference` for one field of a section
 * (always true for presets: defaults and conveniences restrict nothing).
 */
export function stricterOrEqual<S extends PolicySection, F extends keyof PolicySections[S] & string>(
  section: S,
  field: F,
  candidate: PolicySections[S][F],
  reference: PolicySections[S][F],
): boolean {
  const rule = ruleOf(section, field);
  return !rule || rule.kind === 'preset' || atLeastAsStrict(rule, candidate, reference);
}

const fieldsOf = (value: object | undefined): [string, unknown][] => Object.entries(value ?? {}).filter(([, v]) => v !== undefined);

function combineField(rule: FieldRule<unknown>, org: unknown, groups: readonly unknown[]): unknown {
  if (rule.kind === 'limit') {
    const restricting = [org, ...groups].filter((v) => !rule.unrestricted?.(v));
    return restricting.length > 0 ? restricting.reduce(rule.combine) : org;
  }
  return groups.length > 0 ? groups.reduce(rule.combine) : org;
}

function combineSection<S extends PolicySection>(section: S, org: PolicySections[S], overrides: readonly PolicyOverride[]): PolicySections[S] {
  const fields = fieldsOf(org).map(([field, orgValue]) => {
    const groupValues = overrides.map((o) => (o[section] as Record<string, unknown> | undefined)?.[field]).filter((v) => v !== undefined);
    const rule = ruleOf(section, field);
    return [field, rule ? combineField(rule, orgValue, groupValues) : orgValue];
  });
  return Object.fromEntries(fields) as PolicySections[S];
}

/** Whether some list of the organisation or of an applied group restricts `pick`'s scope. */
const anyScope = (doc: PolicyDocument, overrides: readonly PolicyOverride[], pick: (o: PolicyOverride) => readonly string[] | undefined): boolean =>
  [doc, ...overrides].some((o) => (pick(o)?.length ?? 0) > 0);

/**
 * Fields that depend on each other, once every field is combined: defaults stay within their
 * maximum, and scopes that narrowed to nothing say so.
 */
function settle(combined: PolicySections, doc: PolicyDocument, overrides: readonly PolicyOverride[]): Omit<EffectivePolicy, 'appliedGroups'> {
  const { expiry, downloads, emailVerification, recipients } = combined;
  const verificationScopeEmpty =
    emailVerification.requiredOutsideDomains.length === 0 && anyScope(doc, overrides, (o) => o.emailVerification?.requiredOutsideDomains);
  const verificationScoped = emailVerification.requiredOutsideDomains.length > 0;
  return {
    ...combined,
    expiry: { ...expiry, defaultDays: Math.min(expiry.defaultDays, expiry.maxDays) },
    // A null default under a set maximum becomes the maximum (DESIGN: null is unlimited, which the maximum forbids).
    downloads: { ...downloads, default: lowerOrUnlimited(downloads.default, downloads.max) },
    emailVerification: {
      ...emailVerification,
      // No domain is trusted by every applied list: every recipient must verify.
      // A list under mode `off` (an organisation without verification, a group that asks for it) needs the feature on.
      mode: verificationScopeEmpty ? 'required' : verificationScoped && emailVerification.mode === 'off' ? 'optional' : emailVerification.mode,
    },
    recipients: {
      ...recipients,
      noDomainAllowed: recipients.allowedDomains.length === 0 && anyScope(doc, overrides, (o) => o.recipients?.allowedDomains),
    },
  };
}

/** The policy for a user in `userGroups`: the organisation's, with the override of every matching group applied. */
export function effectivePolicy(doc: PolicyDocument, userGroups: readonly string[]): EffectivePolicy {
  const member = new Set(userGroups);
  const appliedGroups = Object.keys(doc.groups).filter((g) => member.has(g));
  const overrides = appliedGroups.map((g) => doc.groups[g]!);
  const combined = Object.fromEntries(SECTIONS.map((s) => [s, combineSection(s, doc[s], overrides)])) as unknown as PolicySections;
  return { ...settle(combined, doc, overrides), appliedGroups };
}

/** A field of a group override that would loosen the organisation's policy. */
export interface LooserOverride {
  readonly group: string;
  /** `groups.<group>.<section>.<field>` */
  readonly path: string;
  /** Starts with the path, says what is looser and what the organisation allows. */
  readonly message: string;
}

const show = (value: unknown): string => {
  if (Array.isArray(value)) {
    return `[${value.join(', ')}]`;
  }
  return value === null ? 'null (unlimited)' : String(value);
};

function looserFields(group: string, override: PolicyOverride, doc: PolicyDocument): LooserOverride[] {
  return SECTIONS.flatMap((section) =>
    fieldsOf(override[section]).flatMap(([field, value]) => {
      const rule = ruleOf(section, field);
      const orgValue = (doc[section] as unknown as Record<string, unknown>)[field];
      if (!rule || rule.kind === 'preset' || atLeastAsStrict(rule, value, orgValue)) {
        return [];
      }
      const path = `groups.${group}.${section}.${field}`;
      return [{ group, path, message: `${path}: ${show(value)} is looser than the organisation's ${show(orgValue)}; a group may only be stricter` }];
    }),
  );
}

/** Default amounts may differ from the organisation's, but only within the maximum that applies to the group. */
function defaultsBeyondMax(group: string, override: PolicyOverride, doc: PolicyDocument): LooserOverride[] {
  const found: LooserOverride[] = [];
  const maxDays = Math.min(doc.expiry.maxDays, override.expiry?.maxDays ?? Infinity);
  const defaultDays = override.expiry?.defaultDays;
  if (defaultDays !== undefined && defaultDays > maxDays) {
    const path = `groups.${group}.expiry.defaultDays`;
    found.push({ group, path, message: `${path}: ${defaultDays} is more than the ${maxDays} days that expiry.maxDays allows the group; a group may only be stricter` });
  }
  const maxDownloads = lowerOrUnlimited(doc.downloads.max, override.downloads?.max ?? null);
  const defaultDownloads = override.downloads?.default;
  if (typeof defaultDownloads === 'number' && maxDownloads !== null && defaultDownloads > maxDownloads) {
    const path = `groups.${group}.downloads.default`;
    found.push({ group, path, message: `${path}: ${defaultDownloads} is more than the ${maxDownloads} downloads that downloads.max allows the group; a group may only be stricter` });
  }
  return found;
}

/**
 * Every field of every group override that is looser than the organisation's policy. Such a field
 * would have no effect (effectivePolicy never loosens), so a policy with any must be refused when saved.
 */
export function looserOverrides(doc: PolicyDocument): LooserOverride[] {
  return Object.entries(doc.groups).flatMap(([group, override]) => [...looserFields(group, override, doc), ...defaultsBeyondMax(group, override, doc)]);
}
