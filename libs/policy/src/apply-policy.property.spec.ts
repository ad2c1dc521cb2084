import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvalidInputError } from '@mft/core';
import { applyPolicy, PolicyViolationError, type Creator, type LinkRequest, type ResolvedLinkOptions } from './apply-policy.js';
import { effectivePolicy } from './effective-policy.js';
import { DOMAIN_POOL, policyInputArb, userGroupsArb } from './policy.arbitraries.js';
import { brokenRules, conflicting, satisfies, SLACK, DAY } from './policy.oracle.js';
import { parsePolicy, POLICY_ROLES } from './policy.schema.js';

const now = new Date('2030-06-01T08:00:00Z');

// ---- random requests and creators, over the same small domains as the policies ----

/** Left out about half of the time, as most requests leave most options to the policy. */
const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined, freq: 2 });
const recipient = fc.tuple(fc.constantFrom('ann', 'Bob'), fc.constantFrom(...DOMAIN_POOL, 'x.evil.net', 'Sub.Example.COM', 'elsewhere.io')).map(([l, d]) => `${l}@${d}`);
const password = fc.oneof(
  fc.constant(null),
  fc.constant(''),
  fc.array(fc.constantFrom('a', 'Z', '7', 'é', '🔒', '字', ' '), { minLength: 1, maxLength: 30 }).map((cs) => cs.join('')),
);
const expiresAt = fc.oneof(
  fc.constant<'never'>('never'),
  fc
    .tuple(
      fc.oneof({ arbitrary: fc.integer({ min: 0, max: 3 }), weight: 2 }, { arbitrary: fc.integer({ min: -2, max: 62 }), weight: 1 }),
      fc.constantFrom(-SLACK - 1, -1, 0, 1, SLACK, SLACK + 1, 3_600_000),
    )
    .map(([days, ms]) => new Date(now.getTime() + days * DAY + ms)),
);

const requestArb: fc.Arbitrary<LinkRequest> = fc.record(
  {
    kind: fc.constantFrom('send' as const, 'share' as const),
    recipients: fc.array(recipient, { maxLength: 3 }),
    password: maybe(password),
    requireEmailVerification: maybe(fc.boolean()),
    oneTime: maybe(fc.boolean()),
    maxDownloads: maybe(fc.option(fc.integer({ min: 1, max: 25 }), { nil: null })),
    expiresAt: maybe(expiresAt),
    notifySenderOnDownload: maybe(fc.boolean()),
    emailRecipients: maybe(fc.boolean()),
    fileSizes: maybe(fc.array(fc.integer({ min: 0, max: 320 }), { maxLength: 4 })),
  },
  { requiredKeys: ['kind', 'recipients'] },
);

/** Mostly creators who may create links, so that accepted requests are frequent enough to check. */
const creatorArb: fc.Arbitrary<Creator> = fc.record({
  roles: fc.oneof({ arbitrary: fc.constant([...POLICY_ROLES]), weight: 3 }, { arbitrary: fc.subarray([...POLICY_ROLES]), weight: 1 }),
  external: fc.oneof({ arbitrary: fc.constant(false), weight: 4 }, { arbitrary: fc.constant(true), weight: 1 }),
});

describe(`${applyPolicy.name} (property)`, () => {
  it('returns options that satisfy the policy in force, or refuses naming a rule the request breaks', () => {
    const outcomes = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(policyInputArb, userGroupsArb, requestArb, creatorArb, (input, groups, req, creator) => {
        const policy = effectivePolicy(parsePolicy(input), groups);
        const broken = brokenRules(policy, req, creator, now);
        let options: ResolvedLinkOptions;
        try {
          options = applyPolicy(policy, req, creator, now);
        } catch (err) {
          outcomes.refused++;
          if (err instanceof PolicyViolationError) {
            assert.ok(broken.has(err.rule), `refused with ${err.rule}, but the request breaks only [${[...broken].join(', ')}]`);
            assert.ok(err.message.startsWith(`policy_${err.rule}: `));
            return;
          }
          assert.ok(err instanceof InvalidInputError, String(err));
          assert.equal(err.code, 'one_time_conflicts_with_max_downloads');
          assert.ok(conflicting(req));
          return;
        }
        assert.deepEqual([...broken], [], 'accepted a request that breaks a rule');
        assert.ok(!conflicting(req), 'accepted a contradictory request');
        assert.deepEqual(satisfies(policy, options, req, now), []);
        outcomes.accepted++;
      }),
      { numRuns: 500 },
    );
    // Both branches must be exercised for the property to mean anything.
    assert.ok(outcomes.accepted >= 25 && outcomes.refused >= 25, JSON.stringify(outcomes));
  });
});
