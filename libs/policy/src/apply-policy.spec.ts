import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError, InvalidInputError } from '@mft/core';
import { applyPolicy, POLICY_RULES, PolicyViolationError, type Creator, type LinkRequest, type ResolvedLinkOptions } from './apply-policy.js';
import { effectivePolicy, type EffectivePolicy } from './effective-policy.js';
import { parsePolicy, type PolicyInput } from './policy.schema.js';

const DAY = 86_400_000;
const now = new Date('2030-01-01T12:00:00Z');
const inDays = (days: number, extraMs = 0): Date => new Date(now.getTime() + days * DAY + extraMs);
const employee: Creator = { roles: ['employee'], external: false };
const GOOD = 'correct horse battery';

const policy = (input: PolicyInput = {}, groups: string[] = []): EffectivePolicy => effectivePolicy(parsePolicy(input), groups);

/** Every code a table row produced, to prove that each rule is exercised somewhere. */
const seenCodes = new Set<string>();

/** The resolved options, or the code of the refusal. */
function outcome(pol: EffectivePolicy, req: Partial<LinkRequest> = {}, creator: Creator = employee): ResolvedLinkOptions | string {
  try {
    return applyPolicy(pol, { kind: 'send', recipients: [], ...req }, creator, now);
  } catch (err) {
    assert.ok(err instanceof DomainError, `unexpected ${String(err)}`);
    seenCodes.add(err.code);
    return err.code;
  }
}

/** Runs a table: each row is [what the row shows, policy, request, expected code or a check of the options]. */
function table(rows: ReadonlyArray<readonly [string, PolicyInput, Partial<LinkRequest>, string | ((o: ResolvedLinkOptions) => void)]>): void {
  for (const [name, input, req, expected] of rows) {
    it(name, () => {
      const result = outcome(policy(input), req);
      if (typeof expected === 'string') {
        assert.equal(typeof result === 'string' ? result : 'accepted', expected);
      } else {
        assert.notEqual(typeof result, 'string', `refused with ${String(result)}`);
        expected(result as ResolvedLinkOptions);
      }
    });
  }
}

const passwordIs = (value: string | null) => (o: ResolvedLinkOptions) => {
  assert.equal(o.password, value);
  assert.equal(o.passwordGenerated, false);
};
const passwordGenerated = (minLength: number) => (o: ResolvedLinkOptions) => {
  assert.equal(o.passwordGenerated, true);
  assert.equal([...o.password!].length, Math.max(minLength, 16));
  assert.match(o.password!, /^[2-9A-HJ-NP-Za-km-np-z]+$/);
};
const verification = (on: boolean) => (o: ResolvedLinkOptions) => assert.equal(o.requireEmailVerification, on);
const downloads = (oneTime: boolean, maxDownloads: number | null) => (o: ResolvedLinkOptions) => assert.deepEqual([o.oneTime, o.maxDownloads], [oneTime, maxDownloads]);
const expires = (at: Date | null) => (o: ResolvedLinkOptions) => assert.equal(o.expiresAt?.toISOString() ?? null, at?.toISOString() ?? null);
const accepted = () => undefined;

describe(applyPolicy.name, () => {
  describe('password', () => {
    const off = { password: { mode: 'off' } } as const;
    const optional = { password: { mode: 'optional' } } as const;
    const byDefault = { password: { mode: 'default' } } as const;
    const byDefaultGen = { password: { mode: 'default', generate: true } } as const;
    const required = { password: { mode: 'required' } } as const;
    const requiredGen = { password: { mode: 'required', generate: true, minLength: 20 } } as const;
    table([
      ['off: none when not specified', off, {}, passwordIs(null)],
      ['off: a password is refused', off, { password: GOOD }, 'policy_password_not_allowed'],
      ['off: explicitly none (null) is fine', off, { password: null }, passwordIs(null)],
      ['off: explicitly none (empty) is fine', off, { password: '' }, passwordIs(null)],
      ['optional: none when not specified', optional, {}, passwordIs(null)],
      ['optional: a long enough password is kept', optional, { password: GOOD }, passwordIs(GOOD)],
      ['optional: a short password is refused', optional, { password: 'short' }, 'policy_password_too_short'],
      ['optional: explicitly none', optional, { password: null }, passwordIs(null)],
      ['default without generate: not specified is refused, the creator must choose', byDefault, {}, 'policy_password_required'],
      ['default with generate: not specified gets a generated password', byDefaultGen, {}, passwordGenerated(12)],
      ['default: a given password is kept', byDefault, { password: GOOD }, passwordIs(GOOD)],
      ['default: explicitly none (null) turns it off', byDefaultGen, { password: null }, passwordIs(null)],
      ['default: explicitly none (empty) turns it off', byDefault, { password: '' }, passwordIs(null)],
      ['default: a short password is refused', byDefault, { password: 'short' }, 'policy_password_too_short'],
      ['required without generate: not specified is refused', required, {}, 'policy_password_required'],
      ['required with generate: not specified gets a generated password of max(minLength, 16)', requiredGen, {}, passwordGenerated(20)],
      ['required: explicitly none (null) is refused even with generate', requiredGen, { password: null }, 'policy_password_required'],
      ['required: explicitly none (empty) is refused', required, { password: '' }, 'policy_password_required'],
      ['required: a long enough password is kept', required, { password: GOOD }, passwordIs(GOOD)],
      ['required: a short password is refused', required, { password: 'eleven char' }, 'policy_password_too_short'],
      ['length counts code points: 12 emoji pass a minimum of 12', required, { password: '🔒'.repeat(12) }, passwordIs('🔒'.repeat(12))],
      ['length counts code points: 12 emoji fail a minimum of 13', { password: { mode: 'required', minLength: 13 } }, { password: '🔒'.repeat(12) }, 'policy_password_too_short'],
    ]);

    it('generates a different password each time', () => {
      const pol = policy(requiredGen);
      const a = outcome(pol) as ResolvedLinkOptions;
      const b = outcome(pol) as ResolvedLinkOptions;
      assert.notEqual(a.password, b.password);
    });
  });

  describe('email verification', () => {
    const mode = (m: 'off' | 'optional' | 'default' | 'required') => ({ emailVerification: { mode: m } });
    const scoped = { emailVerification: { mode: 'optional', requiredOutsideDomains: ['corp.com'] } } as const;
    const insiders = ['a@corp.com', 'b@eu.corp.com'];
    const mixed = ['a@corp.com', 'x@partner.org'];
    table([
      ['off: not specified is off', mode('off'), {}, verification(false)],
      ['off: asking for it is refused', mode('off'), { requireEmailVerification: true }, 'policy_email_verification_not_allowed'],
      ['off: explicitly off', mode('off'), { requireEmailVerification: false }, verification(false)],
      ['optional: not specified is off', mode('optional'), {}, verification(false)],
      ['optional: asked for', mode('optional'), { requireEmailVerification: true }, verification(true)],
      ['optional: explicitly off', mode('optional'), { requireEmailVerification: false }, verification(false)],
      ['default: not specified is on', mode('default'), {}, verification(true)],
      ['default: explicitly on', mode('default'), { requireEmailVerification: true }, verification(true)],
      ['default: explicitly off', mode('default'), { requireEmailVerification: false }, verification(false)],
      ['required: not specified is on', mode('required'), {}, verification(true)],
      ['required: explicitly on', mode('required'), { requireEmailVerification: true }, verification(true)],
      ['required: turning it off is refused', mode('required'), { requireEmailVerification: false }, 'policy_email_verification_required'],
      ['outside domains: only insiders (and subdomains), not specified: off', scoped, { recipients: insiders }, verification(false)],
      ['outside domains: only insiders may turn it on', scoped, { recipients: insiders, requireEmailVerification: true }, verification(true)],
      ['outside domains: an outsider turns it on', scoped, { recipients: mixed }, verification(true)],
      ['outside domains: an outsider may not turn it off', scoped, { recipients: mixed, requireEmailVerification: false }, 'policy_email_verification_required'],
      ['outside domains: a look-alike domain is outside', scoped, { recipients: ['a@notcorp.com'] }, verification(true)],
      ['outside domains: no recipients counts as unknown, so outside', scoped, {}, verification(true)],
      ['outside domains: no recipients may not turn it off', scoped, { requireEmailVerification: false }, 'policy_email_verification_required'],
      ['a verified link without recipients is allowed (any address verifies)', mode('optional'), { requireEmailVerification: true }, verification(true)],
    ]);
  });

  describe('one-time use and download limits', () => {
    const oneTime = (m: 'optional' | 'default' | 'forced') => ({ oneTime: { mode: m } });
    table([
      ['optional: not specified is not one-time', oneTime('optional'), {}, downloads(false, null)],
      ['optional: asked for is one download', oneTime('optional'), { oneTime: true }, downloads(true, 1)],
      ['optional: explicitly off', oneTime('optional'), { oneTime: false }, downloads(false, null)],
      ['default: not specified is one-time', oneTime('default'), {}, downloads(true, 1)],
      ['default: explicitly on', oneTime('default'), { oneTime: true }, downloads(true, 1)],
      ['default: explicitly off', oneTime('default'), { oneTime: false }, downloads(false, null)],
      ['default: an explicit limit above 1 turns the default off', oneTime('default'), { maxDownloads: 5 }, downloads(false, 5)],
      ['default: explicitly unlimited turns the default off', oneTime('default'), { maxDownloads: null }, downloads(false, null)],
      ['default: maxDownloads 1 keeps it one-time', oneTime('default'), { maxDownloads: 1 }, downloads(true, 1)],
      ['forced: not specified is one-time', oneTime('forced'), {}, downloads(true, 1)],
      ['forced: explicitly on', oneTime('forced'), { oneTime: true }, downloads(true, 1)],
      ['forced: turning it off is refused', oneTime('forced'), { oneTime: false }, 'policy_one_time_required'],
      ['forced: more downloads are refused', oneTime('forced'), { maxDownloads: 5 }, 'policy_one_time_required'],
      ['forced: unlimited downloads are refused', oneTime('forced'), { maxDownloads: null }, 'policy_one_time_required'],
      ['forced: maxDownloads 1 is fine', oneTime('forced'), { maxDownloads: 1 }, downloads(true, 1)],
      ['oneTime with another limit is a contradiction, not a policy matter', {}, { oneTime: true, maxDownloads: 3 }, 'one_time_conflicts_with_max_downloads'],
      ['oneTime with unlimited downloads is a contradiction', oneTime('forced'), { oneTime: true, maxDownloads: null }, 'one_time_conflicts_with_max_downloads'],
      ['no limits: not specified is unlimited', {}, {}, downloads(false, null)],
      ['no limits: explicitly unlimited', {}, { maxDownloads: null }, downloads(false, null)],
      ['no limits: any number', {}, { maxDownloads: 1000 }, downloads(false, 1000)],
      ['default only: not specified gets the default', { downloads: { default: 3 } }, {}, downloads(false, 3)],
      ['default only: explicitly unlimited is allowed', { downloads: { default: 3 } }, { maxDownloads: null }, downloads(false, null)],
      ['default only: more than the default is allowed', { downloads: { default: 3 } }, { maxDownloads: 50 }, downloads(false, 50)],
      ['max only: not specified gets the max (no unlimited default under a max)', { downloads: { max: 10 } }, {}, downloads(false, 10)],
      ['max: explicitly unlimited is refused', { downloads: { max: 10 } }, { maxDownloads: null }, 'policy_downloads_unlimited_not_allowed'],
      ['max: exactly the max', { downloads: { max: 10 } }, { maxDownloads: 10 }, downloads(false, 10)],
      ['max: above the max is refused', { downloads: { max: 10 } }, { maxDownloads: 11 }, 'policy_downloads_too_many'],
      ['default and max: not specified gets the default', { downloads: { default: 3, max: 10 } }, {}, downloads(false, 3)],
      ['default and max: within the max', { downloads: { default: 3, max: 10 } }, { maxDownloads: 7 }, downloads(false, 7)],
      ['a limit of 0 is malformed', {}, { maxDownloads: 0 }, 'invalid_max_downloads'],
      ['a fractional limit is malformed', {}, { maxDownloads: 1.5 }, 'invalid_max_downloads'],
    ]);
  });

  describe('expiry', () => {
    const never = { expiry: { allowNever: true } };
    table([
      ['not specified: now + defaultDays', {}, {}, expires(inDays(7))],
      ['not specified, another default', { expiry: { defaultDays: 2, maxDays: 5 } }, {}, expires(inDays(2))],
      ['exactly the maximum', {}, { expiresAt: inDays(30) }, expires(inDays(30))],
      ['within 60 s of clock slack past the maximum', {}, { expiresAt: inDays(30, 60_000) }, expires(inDays(30, 60_000))],
      ['beyond the slack is refused', {}, { expiresAt: inDays(30, 60_001) }, 'policy_expiry_too_long'],
      ['just after now', {}, { expiresAt: inDays(0, 1) }, expires(inDays(0, 1))],
      ['now itself is refused', {}, { expiresAt: now }, 'policy_expiry_in_past'],
      ['the past is refused', {}, { expiresAt: inDays(-1) }, 'policy_expiry_in_past'],
      ['never is refused by default', {}, { expiresAt: 'never' }, 'policy_expiry_never_not_allowed'],
      ['never when allowed', never, { expiresAt: 'never' }, expires(null)],
      ['allowNever still holds a date to the maximum', never, { expiresAt: inDays(31) }, 'policy_expiry_too_long'],
      ['allowNever keeps the default expiry when not specified', never, {}, expires(inDays(7))],
      ['an invalid date is malformed', {}, { expiresAt: new Date('nope') }, 'invalid_expiry'],
    ]);
  });

  describe('files', () => {
    const small = { files: { maxFileBytes: 100, maxTotalBytes: 250 } };
    table([
      ['no sizes known yet', small, {}, accepted],
      ['files at the limits', small, { fileSizes: [100, 100, 50] }, accepted],
      ['a file over the per-file limit', small, { fileSizes: [10, 101] }, 'policy_file_too_large'],
      ['files over the total', small, { fileSizes: [100, 100, 51] }, 'policy_total_too_large'],
      ['a negative size is malformed', small, { fileSizes: [-1] }, 'invalid_file_size'],
    ]);
  });

  describe('creators', () => {
    const cases: ReadonlyArray<readonly [string, PolicyInput, LinkRequest['kind'], Creator, string]> = [
      ['an employee sends', {}, 'send', employee, 'accepted'],
      ['an employee may not share by default', {}, 'share', employee, 'policy_creators_share'],
      ['a manager shares', {}, 'share', { roles: ['auditor', 'manager'], external: false }, 'accepted'],
      ['an auditor may not send', {}, 'send', { roles: ['auditor'], external: false }, 'policy_creator_role_not_allowed'],
      ['nobody without a role', {}, 'send', { roles: [], external: false }, 'policy_creator_role_not_allowed'],
      ['an empty list lets nobody', { creators: { send: [] } }, 'send', { roles: ['admin'], external: false }, 'policy_creator_role_not_allowed'],
      ['external users are off by default', {}, 'send', { roles: ['employee'], external: true }, 'policy_external_creator_not_allowed'],
      ['external users need the switch and a listed role', { creators: { externalUsers: true } }, 'send', { roles: ['external'], external: true }, 'policy_creator_role_not_allowed'],
      ['external users with both', { creators: { externalUsers: true, send: ['employee', 'external'] } }, 'send', { roles: ['external'], external: true }, 'accepted'],
    ];
    for (const [name, input, kind, creator, expected] of cases) {
      it(name, () => {
        const result = outcome(policy(input), { kind }, creator);
        assert.equal(typeof result === 'string' ? result : 'accepted', expected);
      });
    }
  });

  describe('recipients', () => {
    const scoped = { recipients: { allowedDomains: ['example.com'], blockedDomains: ['bad.example.com'] } };
    const disjoint = { recipients: { allowedDomains: ['a.com', 'b.com'] }, groups: { g1: { recipients: { allowedDomains: ['a.com'] } }, g2: { recipients: { allowedDomains: ['b.com'] } } } };
    table([
      ['an allowed domain', scoped, { recipients: ['a@example.com'] }, accepted],
      ['a subdomain of an allowed domain', scoped, { recipients: ['a@sub.example.com'] }, accepted],
      ['domains compare without case', scoped, { recipients: ['A@EXAMPLE.COM'] }, accepted],
      ['a blocked subdomain inside an allowed domain', scoped, { recipients: ['a@example.com', 'b@bad.example.com'] }, 'policy_recipient_domain_blocked'],
      ['a subdomain of a blocked domain', scoped, { recipients: ['b@x.bad.example.com'] }, 'policy_recipient_domain_blocked'],
      ['a domain outside the allowed list', scoped, { recipients: ['a@other.com'] }, 'policy_recipient_domain_not_allowed'],
      ['a look-alike that only ends with the allowed name', scoped, { recipients: ['a@notexample.com'] }, 'policy_recipient_domain_not_allowed'],
      ['no recipients pass the domain rules', scoped, {}, accepted],
      ['an empty allowed list allows any domain that is not blocked', { recipients: { blockedDomains: ['evil.net'] } }, { recipients: ['a@anything.org'] }, accepted],
      ['a blocked domain without an allowed list', { recipients: { blockedDomains: ['evil.net'] } }, { recipients: ['a@evil.net'] }, 'policy_recipient_domain_blocked'],
      ['an address without a domain is malformed', {}, { recipients: ['nobody'] }, 'invalid_recipient'],
    ]);
    it('groups whose allowed domains have nothing in common allow no recipient, but a link without one', () => {
      const pol = policy(disjoint, ['g1', 'g2']);
      assert.equal(outcome(pol, { recipients: ['x@a.com'] }), 'policy_recipient_domain_not_allowed');
      assert.notEqual(typeof outcome(pol, {}), 'string');
    });
  });

  describe('notifications', () => {
    table([
      ['the policy defaults apply', {}, {}, (o) => assert.deepEqual([o.notifySenderOnDownload, o.emailRecipients], [true, true])],
      ['other policy defaults', { notifications: { notifySenderOnDownload: false, emailRecipients: false } }, {}, (o) => assert.deepEqual([o.notifySenderOnDownload, o.emailRecipients], [false, false])],
      ['the creator may turn them off', {}, { notifySenderOnDownload: false, emailRecipients: false }, (o) => assert.deepEqual([o.notifySenderOnDownload, o.emailRecipients], [false, false])],
      ['the creator may turn them on', { notifications: { notifySenderOnDownload: false, emailRecipients: false } }, { notifySenderOnDownload: true, emailRecipients: true }, (o) => assert.deepEqual([o.notifySenderOnDownload, o.emailRecipients], [true, true])],
    ]);
  });

  describe('refusals', () => {
    it('name the rule, the allowed range and the request, with a stable code', () => {
      assert.throws(
        () => applyPolicy(policy(), { kind: 'send', recipients: [], expiresAt: inDays(45) }, employee, now),
        (err: unknown) => {
          assert.ok(err instanceof PolicyViolationError);
          assert.equal(err.kind, 'policy');
          assert.equal(err.code, 'policy_expiry_too_long');
          assert.match(err.message, /^policy_expiry_too_long: maximum is 30 days .*2030-01-31T12:00:00\.000Z.*requested 2030-02-15T12:00:00\.000Z/);
          assert.deepEqual(err.details, {
            rule: 'expiry_too_long',
            allowed: { maxDays: 30, latest: '2030-01-31T12:00:00.000Z' },
            requested: { expiresAt: '2030-02-15T12:00:00.000Z' },
          });
          return true;
        },
      );
    });
    it('never repeat the password', () => {
      const secret = 'tiny-secret';
      assert.throws(
        () => applyPolicy(policy({ password: { minLength: 20 } }), { kind: 'send', recipients: [], password: secret }, employee, now),
        (err: unknown) => {
          assert.ok(err instanceof PolicyViolationError);
          assert.equal(err.code, 'policy_password_too_short');
          assert.ok(!JSON.stringify({ m: err.message, d: err.details }).includes(secret));
          assert.deepEqual(err.details, { rule: 'password_too_short', allowed: { minLength: 20 }, requested: { length: secret.length } });
          return true;
        },
      );
    });
    it('a contradictory request is an input error, not a policy refusal', () => {
      assert.throws(() => applyPolicy(policy(), { kind: 'send', recipients: [], oneTime: true, maxDownloads: 2 }, employee, now), InvalidInputError);
    });
    it('every rule of POLICY_RULES is exercised by the tables above', () => {
      const exercised = [...seenCodes].filter((c) => c.startsWith('policy_')).map((c) => c.slice('policy_'.length));
      assert.deepEqual([...new Set(exercised)].sort(), [...POLICY_RULES].sort());
    });
  });
});
