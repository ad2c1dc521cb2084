// Test support only (imported by *.spec.ts, never by the library): fast-check arbitraries over the
// policy's whole domain, group overrides included. Every document they build is valid.
import fc from 'fast-check';
import { GATE_MODES, ONE_TIME_MODES, POLICY_ROLES } from './policy.schema.js';

/** Few domains with subdomain relations between them, so that lists overlap, nest and miss. */
export const DOMAIN_POOL = ['example.com', 'sub.example.com', 'corp.com', 'eu.corp.com', 'partner.org', 'evil.net', 'org'] as const;
export const GROUP_POOL = ['g1', 'g2', 'g3', 'sales.emea'] as const;

type Fields = Record<string, unknown>;

const domains = fc.subarray([...DOMAIN_POOL], { maxLength: 3 });
// Often every role: random subsets intersect to nothing quickly across groups, and then nobody may create links.
const roles = fc.oneof({ arbitrary: fc.constant([...POLICY_ROLES]), weight: 2 }, { arbitrary: fc.subarray([...POLICY_ROLES]), weight: 1 });
const count = fc.option(fc.integer({ min: 1, max: 20 }), { nil: null });

const SECTION_FIELDS = {
  password: { mode: fc.constantFrom(...GATE_MODES), minLength: fc.integer({ min: 1, max: 24 }), generate: fc.boolean() },
  emailVerification: { mode: fc.constantFrom(...GATE_MODES), requiredOutsideDomains: domains },
  oneTime: { mode: fc.constantFrom(...ONE_TIME_MODES) },
  downloads: { default: count, max: count },
  expiry: { defaultDays: fc.integer({ min: 1, max: 60 }), maxDays: fc.integer({ min: 1, max: 60 }), allowNever: fc.boolean() },
  files: { maxFileBytes: fc.integer({ min: 1, max: 300 }), maxTotalBytes: fc.integer({ min: 1, max: 600 }) },
  creators: { send: roles, share: roles, externalUsers: fc.boolean() },
  recipients: { allowedDomains: domains, blockedDomains: domains },
  notifications: { notifySenderOnDownload: fc.boolean(), emailRecipients: fc.boolean() },
};
type Section = keyof typeof SECTION_FIELDS;

/** What a field is when a section leaves it out: the organisation's defaults; nothing for an override. */
type Base = Partial<Record<Section, Fields>>;
const ORG_BASE: Base = { downloads: { default: null, max: null }, expiry: { defaultDays: 7, maxDays: 30 }, emailVerification: { mode: 'optional' } };

/** Makes a section consistent the way the schema demands, looking at `base` for fields it leaves out. */
function consistent(section: Section, v: Fields, base: Fields = {}): Fields {
  const get = (k: string) => (k in v ? v[k] : base[k]);
  const out = { ...v };
  if (section === 'expiry' && typeof get('defaultDays') === 'number' && typeof get('maxDays') === 'number' && (get('defaultDays') as number) > (get('maxDays') as number)) {
    out.defaultDays = get('maxDays');
  }
  if (section === 'downloads' && typeof get('default') === 'number' && typeof get('max') === 'number' && (get('default') as number) > (get('max') as number)) {
    out.default = get('max');
  }
  if (section === 'emailVerification' && get('mode') === 'off' && 'requiredOutsideDomains' in v) {
    out.requiredOutsideDomains = [];
  }
  return out;
}

function sections(base: Base): fc.Arbitrary<Fields> {
  const model = Object.fromEntries(
    (Object.keys(SECTION_FIELDS) as Section[]).map((s) => [
      s,
      fc.record(SECTION_FIELDS[s] as Record<string, fc.Arbitrary<unknown>>, { requiredKeys: [] }).map((v) => consistent(s, v, base[s])),
    ]),
  );
  return fc.record(model, { requiredKeys: [] });
}

/** A group override: any subset of sections and fields, stricter or looser than the organisation's. */
export const overrideArb: fc.Arbitrary<Fields> = sections({});

/** A valid policy document as written (fields left out), with up to four group overrides. */
export const policyInputArb: fc.Arbitrary<Fields> = fc
  .tuple(sections(ORG_BASE), fc.dictionary(fc.constantFrom(...GROUP_POOL), overrideArb, { maxKeys: GROUP_POOL.length }))
  .map(([org, groups]) => ({ ...org, groups }));

/** The IdP groups of a user: some with overrides, some without. */
export const userGroupsArb = fc.subarray([...GROUP_POOL, 'no-override']);
