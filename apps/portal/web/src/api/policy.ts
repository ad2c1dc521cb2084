import { call, request } from './client.ts';

/** How an option is enforced, loosest first: off, optional, default (on unless turned off), required. */
export type GateMode = 'off' | 'optional' | 'default' | 'required';

/** The policy that applies to the signed-in person (GET /api/v1/policy/effective), group overrides included. */
export interface EffectivePolicy {
  readonly password: { readonly mode: GateMode; readonly minLength: number; readonly generate: boolean };
  readonly emailVerification: { readonly mode: GateMode; readonly requiredOutsideDomains: readonly string[] };
  readonly oneTime: { readonly mode: 'optional' | 'default' | 'forced' };
  /** Completed downloads per recipient; null is unlimited. */
  readonly downloads: { readonly default: number | null; readonly max: number | null };
  readonly expiry: { readonly defaultDays: number; readonly maxDays: number; readonly allowNever: boolean };
  readonly files: { readonly maxFileBytes: number; readonly maxTotalBytes: number };
  readonly recipients: { readonly allowedDomains: readonly string[]; readonly blockedDomains: readonly string[]; readonly noDomainAllowed: boolean };
  readonly notifications: { readonly notifySenderOnDownload: boolean; readonly emailRecipients: boolean };
}

/** One-time use, loosest first. */
export type OneTimeMode = 'optional' | 'default' | 'forced';

/** The roles a policy may name. */
export const POLICY_ROLES = ['admin', 'manager', 'employee', 'auditor', 'external'] as const;
export type PolicyRole = (typeof POLICY_ROLES)[number];

/** The organisation's policy document (GET/PUT /api/v1/policy, DESIGN.md "Policy"), every field resolved by the gateway. */
export interface PolicyDocument {
  readonly password: { readonly mode: GateMode; readonly minLength: number; readonly generate: boolean };
  readonly emailVerification: { readonly mode: GateMode; readonly requiredOutsideDomains: readonly string[] };
  readonly oneTime: { readonly mode: OneTimeMode };
  readonly downloads: { readonly default: number | null; readonly max: number | null };
  readonly expiry: { readonly defaultDays: number; readonly maxDays: number; readonly allowNever: boolean };
  readonly files: { readonly maxFileBytes: number; readonly maxTotalBytes: number };
  readonly creators: { readonly send: readonly PolicyRole[]; readonly share: readonly PolicyRole[]; readonly externalUsers: boolean };
  readonly recipients: { readonly allowedDomains: readonly string[]; readonly blockedDomains: readonly string[] };
  readonly notifications: { readonly notifySenderOnDownload: boolean; readonly emailRecipients: boolean };
  /** Stricter-only overrides by IdP group: any subset of the sections, each with any subset of its fields. */
  readonly groups: Readonly<Record<string, PolicyOverride>>;
}

export type PolicySection = Exclude<keyof PolicyDocument, 'groups'>;
export type PolicyOverride = { readonly [S in PolicySection]?: Partial<PolicyDocument[S]> };

/** The policy in force and where it comes from; `etag` goes back in If-Match when saving. */
export interface CurrentPolicy {
  readonly document: PolicyDocument;
  readonly version: number;
  readonly etag: string;
  readonly source: 'default' | 'api' | 'file';
  /** The policy file's path while it is authoritative (the API then refuses edits). */
  readonly file: string | null;
}

/** A live link that a proposed policy would not allow, and what applying it retroactively would do. */
export interface PolicyViolation {
  readonly linkId: string;
  readonly owner: string;
  readonly kind: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly rules: ReadonlyArray<{ readonly rule: string; readonly code: string; readonly message: string }>;
  readonly action: 'shorten_expiry' | 'revoke';
  readonly newExpiresAt: string | null;
}

export interface DryRunReport {
  readonly checked: number;
  readonly violations: readonly PolicyViolation[];
}

/** One changed setting between two versions, by dotted path. */
export interface PolicyChange {
  readonly path: string;
  readonly from: unknown;
  readonly to: unknown;
}

/** A saved version of the policy (the document itself only from GET /policy/versions/:v). */
export interface PolicyVersionMeta {
  readonly version: number;
  readonly source: 'api' | 'file';
  readonly createdAt: string;
  /** The audit actor: `user:<name>`, or `file:<path>` for the policy file. */
  readonly createdBy: string;
  readonly retroactive: boolean;
  readonly diff: readonly PolicyChange[];
}

export interface PolicyVersion extends PolicyVersionMeta {
  readonly document: PolicyDocument;
}

/** What a save answered: the policy now in force and, applied retroactively, how many links changed. */
export interface SavedPolicy extends CurrentPolicy {
  readonly shortened: number | null;
  readonly revoked: number | null;
}

function currentOf(document: PolicyDocument, headers: Headers): CurrentPolicy {
  const file = headers.get('x-policy-file');
  const source = headers.get('x-policy-source');
  return {
    document,
    version: Number(headers.get('x-policy-version') ?? 0),
    etag: headers.get('etag') ?? '',
    source: source === 'file' || source === 'api' ? source : 'default',
    file: file === null ? null : decodeURI(file),
  };
}

const countOf = (value: string | null): number | null => (value === null ? null : Number(value));

const json = { 'content-type': 'application/json' };

export const policyApi = {
  effective: async (): Promise<EffectivePolicy> => (await call<{ policy: EffectivePolicy }>('GET', '/policy/effective')).policy,

  /** The organisation's policy with its version (admins). */
  current: async (): Promise<CurrentPolicy> => {
    const { data, headers } = await request<PolicyDocument>('GET', '/policy');
    return currentOf(data, headers);
  },

  /** Replaces the policy if `etag` is still the version in force (412 otherwise); `retroactive` brings live links into line. */
  save: async (document: unknown, etag: string, retroactive: boolean): Promise<SavedPolicy> => {
    const { data, headers } = await request<PolicyDocument>('PUT', `/policy?retroactive=${String(retroactive)}`, JSON.stringify(document), { ...json, 'if-match': etag });
    return { ...currentOf(data, headers), shortened: countOf(headers.get('x-policy-links-shortened')), revoked: countOf(headers.get('x-policy-links-revoked')) };
  },

  /** The live links `document` would not allow, and what applying it would do to each; changes nothing. */
  dryRun: (document: unknown): Promise<DryRunReport> => call<DryRunReport>('POST', '/policy/dry-run', JSON.stringify(document), json),

  /** Saved versions, newest first; `before` pages to older ones. */
  versions: (limit: number, before?: number): Promise<PolicyVersionMeta[]> =>
    call<PolicyVersionMeta[]>('GET', `/policy/versions?limit=${String(limit)}${before === undefined ? '' : `&before=${String(before)}`}`),

  version: (version: number): Promise<PolicyVersion> => call<PolicyVersion>('GET', `/policy/versions/${String(version)}`),
};
