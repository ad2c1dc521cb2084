import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { effectivePolicy, looserOverrides, stricterOrEqual, type EffectivePolicy } from './effective-policy.js';
import { policyInputArb, userGroupsArb } from './policy.arbitraries.js';
import { GATE_MODES, ONE_TIME_MODES, parsePolicy, type PolicyDocument, type PolicyInput, type PolicySection } from './policy.schema.js';

const doc = (input: PolicyInput): PolicyDocument => parsePolicy(input);

// ---- what "at least as strict" means, written out again independently of the implementation ----

const covers = (pattern: string, domain: string): boolean => domain === pattern || domain.endsWith(`.${pattern}`);
/** Every domain that `inner` covers, `outer` covers too. */
const within = (inner: readonly string[], outer: readonly string[]): boolean => inner.every((d) => outer.some((p) => covers(p, d)));
const rank = (order: readonly string[]) => (a: unknown, b: unknown) => order.indexOf(a as string) >= order.indexOf(b as string);
const notMore = (a: unknown, b: unknown) => (a as number) <= (b as number);
const notLess = (a: unknown, b: unknown) => (a as number) >= (b as number);
const limitedWithin = (a: unknown, b: unknown) => b === null || (a !== null && (a as number) <= (b as number));
const onlyIf = (a: unknown, b: unknown) => !a || b === true;
const subset = (a: unknown, b: unknown) => (a as string[]).every((r) => (b as string[]).includes(r));
/** An empty scope restricts nothing; a non-empty one must stay inside the reference. */
const narrowerScope = (a: unknown, b: unknown) => (b as string[]).length === 0 || ((a as string[]).length > 0 && within(a as string[], b as string[]));
const blocksAll = (a: unknown, b: unknown) => within(b as string[], a as string[]);

/** For every restricting field: is `candidate` at least as strict as `reference`? (Defaults and notifications restrict nothing.) */
const AT_LEAST_AS_STRICT: Record<string, (candidate: unknown, reference: unknown) => boolean> = {
  'password.mode': rank(GATE_MODES),
  'password.minLength': notLess,
  'emailVerification.mode': rank(GATE_MODES),
  'emailVerification.requiredOutsideDomains': narrowerScope,
  'oneTime.mode': rank(ONE_TIME_MODES),
  'downloads.max': limitedWithin,
  'expiry.maxDays': notMore,
  'expiry.allowNever': onlyIf,
  'files.maxFileBytes': notMore,
  'files.maxTotalBytes': notMore,
  'creators.send': subset,
  'creators.share': subset,
  'creators.externalUsers': onlyIf,
  'recipients.allowedDomains': narrowerScope,
  'recipients.blockedDomains': blocksAll,
};

/** The fields where `eff` is looser than `reference` (a whole policy or a partial override). */
function looserThan(eff: EffectivePolicy, reference: Partial<Record<PolicySection, object>>): string[] {
  return Object.entries(AT_LEAST_AS_STRICT).filter(([key, stricter]) => {
    const [section, field] = key.split('.') as [PolicySection, string];
    const ref = (reference[section] as Record<string, unknown> | undefined)?.[field];
    if (ref === undefined) {
      return false;
    }
    // A scope that narrowed to nothing is carried by a stricter flag instead of the list.
    const escape = (key === 'emailVerification.requiredOutsideDomains' && eff.emailVerification.mode === 'required') || (key === 'recipients.allowedDomains' && eff.recipients.noDomainAllowed);
    return !escape && !stricter((eff[section] as unknown as Record<string, unknown>)[field], ref);
  }).map(([key]) => key);
}

describe(effectivePolicy.name, () => {
  const finance = doc({
    password: { mode: 'optional' },
    groups: { finance: { password: { mode: 'required', minLength: 16 }, expiry: { maxDays: 3 } } },
  });

  it('applies a stricter group override to members only', () => {
    const member = effectivePolicy(finance, ['staff', 'finance']);
    assert.deepEqual(member.password, { mode: 'required', minLength: 16, generate: false });
    assert.deepEqual(member.expiry, { defaultDays: 3, maxDays: 3, allowNever: false });
    assert.deepEqual(member.appliedGroups, ['finance']);
    const other = effectivePolicy(finance, ['staff', 'Finance']);
    assert.deepEqual(other.password, finance.password);
    assert.deepEqual(other.expiry, finance.expiry);
    assert.deepEqual(other.appliedGroups, []);
    assert.equal('groups' in other, false);
  });

  it('in several groups, takes the strictest value of each field', () => {
    const policy = doc({
      expiry: { allowNever: true },
      creators: { externalUsers: true, send: ['admin', 'manager', 'employee', 'external'] },
      recipients: { allowedDomains: ['example.com', 'corp.com'], blockedDomains: ['evil.net'] },
      groups: {
        a: {
          password: { mode: 'default', minLength: 20 },
          oneTime: { mode: 'forced' },
          expiry: { maxDays: 10, allowNever: false },
          downloads: { max: 5 },
          creators: { send: ['admin', 'employee'] },
          recipients: { allowedDomains: ['example.com'], blockedDomains: ['evil.net', 'spam.org'] },
        },
        b: {
          password: { mode: 'required', minLength: 14 },
          oneTime: { mode: 'default' },
          expiry: { maxDays: 20 },
          downloads: { max: 3 },
          files: { maxFileBytes: 1000 },
          creators: { send: ['employee', 'manager'], externalUsers: false },
          recipients: { allowedDomains: ['sub.example.com', 'corp.com'], blockedDomains: ['evil.net', 'x.example.com'] },
        },
      },
    });
    const eff = effectivePolicy(policy, ['b', 'a']);
    assert.deepEqual(eff.appliedGroups, ['a', 'b']);
    assert.deepEqual(eff.password, { mode: 'required', minLength: 20, generate: false });
    assert.equal(eff.oneTime.mode, 'forced');
    assert.deepEqual(eff.expiry, { defaultDays: 7, maxDays: 10, allowNever: false });
    assert.deepEqual(eff.downloads, { default: 3, max: 3 });
    assert.equal(eff.files.maxFileBytes, 1000);
    assert.deepEqual(eff.creators, { send: ['employee'], share: ['admin', 'manager'], externalUsers: false });
    assert.deepEqual(eff.recipients, { allowedDomains: ['sub.example.com'], blockedDomains: ['evil.net', 'spam.org', 'x.example.com'], noDomainAllowed: false });
  });

  it('a group may set its own defaults within the maximum that applies to it', () => {
    const policy = doc({ downloads: { max: 10 }, groups: { long: { expiry: { defaultDays: 14 }, downloads: { default: 4 } }, short: { expiry: { maxDays: 5 } } } });
    assert.deepEqual(effectivePolicy(policy, ['long']).expiry, { defaultDays: 14, maxDays: 30, allowNever: false });
    assert.equal(effectivePolicy(policy, ['long']).downloads.default, 4);
    assert.deepEqual(effectivePolicy(policy, ['long', 'short']).expiry, { defaultDays: 5, maxDays: 5, allowNever: false });
    assert.equal(effectivePolicy(policy, []).downloads.default, 10, 'an unlimited default under a maximum is the maximum');
  });

  it('notifications and password generation are presets a group may change either way', () => {
    const policy = doc({ groups: { quiet: { notifications: { notifySenderOnDownload: false } }, loud: { notifications: { notifySenderOnDownload: true } }, gen: { password: { generate: true } } } });
    assert.equal(effectivePolicy(policy, ['quiet']).notifications.notifySenderOnDownload, false);
    assert.equal(effectivePolicy(policy, ['quiet', 'loud']).notifications.notifySenderOnDownload, true);
    assert.equal(effectivePolicy(policy, ['gen']).password.generate, true);
    assert.deepEqual(looserOverrides(policy), []);
  });

  it('allowed-domain lists with nothing in common allow no domain at all', () => {
    const policy = doc({ groups: { a: { recipients: { allowedDomains: ['a.com'] } }, b: { recipients: { allowedDomains: ['b.com'] } } } });
    assert.deepEqual(effectivePolicy(policy, ['a', 'b']).recipients, { allowedDomains: [], blockedDomains: [], noDomainAllowed: true });
    assert.equal(effectivePolicy(policy, ['a']).recipients.noDomainAllowed, false);
    assert.equal(effectivePolicy(policy, []).recipients.noDomainAllowed, false);
  });

  it('trusted-domain lists with nothing in common require verification for everyone', () => {
    const policy = doc({ groups: { a: { emailVerification: { requiredOutsideDomains: ['a.com'] } }, b: { emailVerification: { requiredOutsideDomains: ['b.com'] } } } });
    assert.equal(effectivePolicy(policy, ['a', 'b']).emailVerification.mode, 'required');
    assert.deepEqual(effectivePolicy(policy, ['a']).emailVerification, { mode: 'optional', requiredOutsideDomains: ['a.com'] });
  });

  it('a group that requires verification for outsiders switches it on where the organisation has it off', () => {
    const policy = doc({ emailVerification: { mode: 'off' }, groups: { a: { emailVerification: { requiredOutsideDomains: ['a.com'] } } } });
    assert.deepEqual(effectivePolicy(policy, ['a']).emailVerification, { mode: 'optional', requiredOutsideDomains: ['a.com'] });
    assert.deepEqual(looserOverrides(policy), []);
  });

  it('a looser override has no effect', () => {
    const policy = doc({ password: { mode: 'required', minLength: 16 }, groups: { lax: { password: { mode: 'off', minLength: 4 }, expiry: { maxDays: 365, allowNever: true } } } });
    const eff = effectivePolicy(policy, ['lax']);
    assert.deepEqual(eff.password, policy.password);
    assert.deepEqual(eff.expiry, policy.expiry);
  });

  it('property: with any groups, never looser than the organisation, nor than any applied override', () => {
    fc.assert(
      fc.property(policyInputArb, userGroupsArb, (input, groups) => {
        const policy = parsePolicy(input);
        const eff = effectivePolicy(policy, groups);
        assert.deepEqual(looserThan(eff, policy), [], 'looser than the organisation');
        for (const group of eff.appliedGroups) {
          assert.deepEqual(looserThan(eff, policy.groups[group]!), [], `looser than group ${group}`);
        }
        assert.deepEqual(
          eff.appliedGroups,
          Object.keys(policy.groups).filter((g) => groups.includes(g)),
        );
        // And consistent in itself: defaults within their maximum, verification on where a scope requires it.
        assert.ok(eff.expiry.defaultDays <= eff.expiry.maxDays);
        assert.ok(eff.downloads.max === null || (eff.downloads.default !== null && eff.downloads.default <= eff.downloads.max));
        assert.ok(eff.emailVerification.requiredOutsideDomains.length === 0 || eff.emailVerification.mode !== 'off');
      }),
      { numRuns: 500 },
    );
  });

  it('property: an override that is not looser takes effect exactly, for a member of that group alone', () => {
    fc.assert(
      fc.property(policyInputArb, (input) => {
        const policy = parsePolicy(input);
        const reported = new Set(looserOverrides(policy).map((l) => l.group));
        for (const [group, override] of Object.entries(policy.groups).filter(([g]) => !reported.has(g))) {
          const eff = effectivePolicy(policy, [group]);
          for (const [section, fields] of Object.entries(override) as [PolicySection, Record<string, unknown>][]) {
            for (const [field, value] of Object.entries(fields)) {
              const actual = (eff[section] as unknown as Record<string, unknown>)[field];
              if (Array.isArray(value)) {
                const orgList = (policy[section] as unknown as Record<string, string[]>)[field]!;
                // Lists compare by what they cover; the blocked list keeps what the organisation blocks too.
                const expected = field === 'blockedDomains' ? [...(value as string[]), ...orgList] : (value as string[]);
                assert.ok(within(actual as string[], expected) && within(expected, actual as string[]), `${group}.${section}.${field}`);
              } else if (!(section === 'downloads' && field === 'default' && value === null)) {
                assert.deepEqual(actual, value, `${group}.${section}.${field}`);
              }
            }
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe(looserOverrides.name, () => {
  it('reports a looser field with the organisation value and the rule', () => {
    const policy = doc({ groups: { finance: { expiry: { maxDays: 60 } } } });
    assert.deepEqual(looserOverrides(policy), [
      {
        group: 'finance',
        path: 'groups.finance.expiry.maxDays',
        message: "groups.finance.expiry.maxDays: 60 is looser than the organisation's 30; a group may only be stricter",
      },
    ]);
  });

  it('reports every kind of loosening, and nothing for stricter or equal values', () => {
    const policy = doc({
      password: { mode: 'default', minLength: 12 },
      oneTime: { mode: 'default' },
      downloads: { max: 10 },
      creators: { send: ['admin', 'manager'] },
      recipients: { allowedDomains: ['example.com'], blockedDomains: ['evil.net'] },
      emailVerification: { requiredOutsideDomains: ['corp.com'] },
      groups: {
        strict: {
          password: { mode: 'required', minLength: 12 },
          oneTime: { mode: 'forced' },
          downloads: { max: 10, default: 10 },
          creators: { send: ['admin'] },
          recipients: { allowedDomains: ['sub.example.com'], blockedDomains: ['evil.net', 'spam.org'] },
          emailVerification: { requiredOutsideDomains: ['eu.corp.com'] },
          expiry: { defaultDays: 30 },
        },
        lax: {
          password: { mode: 'optional', minLength: 8 },
          oneTime: { mode: 'optional' },
          downloads: { max: null },
          expiry: { allowNever: true, defaultDays: 31 },
          files: { maxTotalBytes: 20 * 1024 ** 3 },
          creators: { send: ['admin', 'employee'], externalUsers: true },
          recipients: { allowedDomains: [], blockedDomains: ['spam.org'] },
          emailVerification: { mode: 'off', requiredOutsideDomains: [] },
        },
      },
    });
    assert.deepEqual(
      looserOverrides(policy).map((l) => l.path),
      [
        'groups.lax.password.mode',
        'groups.lax.password.minLength',
        'groups.lax.emailVerification.mode',
        'groups.lax.emailVerification.requiredOutsideDomains',
        'groups.lax.oneTime.mode',
        'groups.lax.downloads.max',
        'groups.lax.expiry.allowNever',
        'groups.lax.files.maxTotalBytes',
        'groups.lax.creators.send',
        'groups.lax.creators.externalUsers',
        'groups.lax.recipients.allowedDomains',
        'groups.lax.recipients.blockedDomains',
        'groups.lax.expiry.defaultDays',
      ],
    );
    const messages = looserOverrides(policy).map((l) => l.message);
    assert.ok(messages.includes("groups.lax.downloads.max: null (unlimited) is looser than the organisation's 10; a group may only be stricter"));
    assert.ok(messages.includes("groups.lax.creators.send: [admin, employee] is looser than the organisation's [admin, manager]; a group may only be stricter"));
    assert.ok(messages.includes('groups.lax.expiry.defaultDays: 31 is more than the 30 days that expiry.maxDays allows the group; a group may only be stricter'));
  });

  it('a default amount is checked against the maximum the group itself sets', () => {
    const policy = doc({ groups: { g: { downloads: { max: 5 } }, h: { downloads: { default: 6 } } }, downloads: { max: 5 } });
    assert.deepEqual(looserOverrides(policy).map((l) => l.path), ['groups.h.downloads.default']);
  });

  it('property: reports a field exactly when the override value is looser than the organisation value', () => {
    fc.assert(
      fc.property(policyInputArb, (input) => {
        const policy = parsePolicy(input);
        const reported = new Set(looserOverrides(policy).map((l) => l.path));
        for (const [group, override] of Object.entries(policy.groups)) {
          for (const [section, fields] of Object.entries(override) as [PolicySection, Record<string, unknown>][]) {
            for (const [field, value] of Object.entries(fields)) {
              const stricter = AT_LEAST_AS_STRICT[`${section}.${field}`];
              if (stricter) {
                const orgValue = (policy[section] as unknown as Record<string, unknown>)[field];
                assert.equal(reported.has(`groups.${group}.${section}.${field}`), !stricter(value, orgValue), `groups.${group}.${section}.${field}`);
              }
            }
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe(stricterOrEqual.name, () => {
  it('compares one field the way effective policies combine it', () => {
    assert.equal(stricterOrEqual('expiry', 'maxDays', 3, 30), true);
    assert.equal(stricterOrEqual('expiry', 'maxDays', 60, 30), false);
    assert.equal(stricterOrEqual('password', 'mode', 'required', 'default'), true);
    assert.equal(stricterOrEqual('password', 'mode', 'off', 'optional'), false);
    assert.equal(stricterOrEqual('downloads', 'max', null, 5), false);
    assert.equal(stricterOrEqual('recipients', 'allowedDomains', ['sub.example.com'], ['example.com']), true);
    assert.equal(stricterOrEqual('recipients', 'allowedDomains', [], ['example.com']), false);
    assert.equal(stricterOrEqual('notifications', 'emailRecipients', false, true), true);
  });
});
