import { call } from './client.ts';

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

export const policyApi = {
  effective: async (): Promise<EffectivePolicy> => (await call<{ policy: EffectivePolicy }>('GET', '/policy/effective')).policy,
};
