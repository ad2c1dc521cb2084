import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Role } from '@mft/identity';
import { InvalidInputError } from '@mft/core';
import { DEFAULT_POLICY, parsePolicy, PolicyInvalidError, type PolicyRole } from './policy.schema.js';

/** The problems of an invalid document, as `path: message` lines. */
function problems(input: unknown): string[] {
  try {
    parsePolicy(input);
  } catch (err) {
    assert.ok(err instanceof PolicyInvalidError);
    return (err.details.problems as { path: string; message: string }[]).map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('the document was accepted');
}

// Compile-time: the policy names exactly the roles that users can hold.
const sameRoles: [Role] extends [PolicyRole] ? ([PolicyRole] extends [Role] ? true : false) : false = true;

describe(parsePolicy.name, () => {
  it('an empty document is the default policy of DESIGN.md', () => {
    assert.ok(sameRoles);
    assert.deepEqual(parsePolicy({}), DEFAULT_POLICY);
    assert.deepEqual(parsePolicy({}).expiry, { defaultDays: 7, maxDays: 30, allowNever: false });
    assert.deepEqual(parsePolicy({}).creators, { send: ['admin', 'manager', 'employee'], share: ['admin', 'manager'], externalUsers: false });
  });

  it('fields left out keep their defaults, section by section', () => {
    const policy = parsePolicy({ password: { mode: 'required' }, expiry: { maxDays: 14 } });
    assert.deepEqual(policy.password, { mode: 'required', minLength: 12, generate: false });
    assert.deepEqual(policy.expiry, { defaultDays: 7, maxDays: 14, allowNever: false });
    assert.deepEqual(policy.files, DEFAULT_POLICY.files);
  });

  it('accepts the example of DESIGN.md, group overrides included, and keeps overrides partial', () => {
    const policy = parsePolicy({
      password: { mode: 'required', minLength: 12 },
      oneTime: { mode: 'default' },
      emailVerification: { mode: 'optional', requiredOutsideDomains: ['corp.example'] },
      groups: { finance: { password: { mode: 'required', minLength: 16 }, expiry: { maxDays: 3 } } },
    });
    assert.deepEqual({ ...policy.groups }, { finance: { password: { mode: 'required', minLength: 16 }, expiry: { maxDays: 3 } } });
  });

  it('refuses group names that mean something to a JavaScript object, naming the group', () => {
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      // JSON.parse makes "__proto__" an own key, as a request body arrives.
      const input: unknown = JSON.parse(`{"groups": {"${name}": {"expiry": {"maxDays": 1}}}}`);
      const found = problems(input);
      assert.equal(found.length, 1, name);
      assert.match(found[0]!, new RegExp(`^groups: the group name "${name}" is not allowed: `), name);
    }
  });

  it('accepts group names as identity providers spell them', () => {
    const names = ['finance', 'Sales EMEA', 'cn=finance,ou=groups,dc=example,dc=com', '/finance/emea', 'CORP\\finance', 'finance@example.com', '0b6c3f1e-8f3a-4c1d-9d4e-2a1b3c4d5e6f', 'Finanzabteilung Zürich', 'R&D (Berlin)', "O'Brien's team", 'grp:finance+audit#1'];
    const policy = parsePolicy({ groups: Object.fromEntries(names.map((n) => [n, { expiry: { maxDays: 3 } }])) });
    assert.deepEqual(Object.keys(policy.groups), names);
    assert.equal(Object.getPrototypeOf(policy.groups), null);
  });

  it('refuses group names outside the safe pattern', () => {
    for (const name of ['_hidden', '.finance', ' finance', 'fin<script>', 'fin\u0000ance', 'a'.repeat(257)]) {
      assert.equal(problems({ groups: { [name]: {} } }).length, 1, name);
    }
  });

  it('refuses unknown keys, naming each key and the known ones', () => {
    assert.deepEqual(problems({ pasword: {}, expiry: { maxDay: 3 }, groups: { sales: { expiry: { never: true } } } }).sort(), [
      'expiry.maxDay: is not a known setting (expected one of: defaultDays, maxDays, allowNever)',
      'groups.sales.expiry.never: is not a known setting (expected one of: defaultDays, maxDays, allowNever)',
      'pasword: is not a known setting (expected one of: password, emailVerification, oneTime, downloads, expiry, files, creators, recipients, notifications, groups)',
    ]);
  });

  it('a group override may not nest groups', () => {
    assert.match(problems({ groups: { a: { groups: {} } } })[0]!, /^groups\.a\.groups: is not a known setting/);
  });

  it('names the path and the allowed values of every bad value', () => {
    assert.deepEqual(
      problems({
        password: { mode: 'always', minLength: 0 },
        oneTime: { mode: 'required' },
        downloads: { max: 0 },
        expiry: { maxDays: 4000, defaultDays: 1.5, allowNever: 'yes' },
        files: { maxFileBytes: -1 },
        creators: { send: ['admin', 'boss'] },
      }),
      [
        'password.mode: must be one of off, optional, default, required',
        'password.minLength: must be a whole number of characters from 1 to 1024',
        'oneTime.mode: must be one of optional, default, forced',
        'downloads.max: must be a whole number from 1 to 1000000, or null for unlimited',
        'expiry.defaultDays: must be a whole number of days from 1 to 3650',
        'expiry.maxDays: must be a whole number of days from 1 to 3650',
        'expiry.allowNever: must be true or false',
        'files.maxFileBytes: must be a whole number of bytes, at least 1',
        'creators.send.1: must be one of admin, manager, employee, auditor, external',
      ],
    );
  });

  it('checks that defaults fit their maximum, also against a default maximum', () => {
    assert.deepEqual(problems({ expiry: { defaultDays: 40 } }), ['expiry.defaultDays: must not be more than expiry.maxDays (30)']);
    assert.deepEqual(problems({ downloads: { default: 5, max: 3 } }), ['downloads.default: must not be more than downloads.max (3)']);
    assert.deepEqual(parsePolicy({ downloads: { default: null, max: 3 } }).downloads, { default: null, max: 3 });
  });

  it('checks a group override only between the fields it sets', () => {
    assert.deepEqual(problems({ groups: { g: { expiry: { defaultDays: 5, maxDays: 3 } } } }), ['groups.g.expiry.defaultDays: must not be more than expiry.maxDays (3)']);
    assert.deepEqual(parsePolicy({ groups: { g: { expiry: { maxDays: 3 } } } }).groups.g, { expiry: { maxDays: 3 } });
  });

  it('refuses domains required for verification while verification is off', () => {
    assert.deepEqual(problems({ emailVerification: { mode: 'off', requiredOutsideDomains: ['corp.com'] } }), [
      'emailVerification.requiredOutsideDomains: must be empty when mode is off (verification cannot be required where it is switched off)',
    ]);
  });

  it('lower-cases domains, converts international names and drops duplicates', () => {
    const policy = parsePolicy({ recipients: { allowedDomains: ['Example.COM', 'example.com', 'Bücher.de', 'ru'] } });
    assert.deepEqual(policy.recipients.allowedDomains, ['example.com', 'xn--bcher-kva.de', 'ru']);
  });

  it('refuses what is not a domain name', () => {
    for (const bad of ['@example.com', '*.example.com', 'a b.com', '-a.com', 'a..com', '1.2.3.4', '']) {
      assert.deepEqual(problems({ recipients: { blockedDomains: [bad] } }), ['recipients.blockedDomains.0: must be a domain name such as example.com (which also covers its subdomains)'], bad);
    }
  });

  it('refuses a document that is not a mapping, and empty group names', () => {
    assert.deepEqual(problems([]), ['(policy): the policy must be a mapping of sections']);
    assert.deepEqual(problems({ password: 'required' }), ['password: must be a mapping of settings']);
    assert.deepEqual(problems({ groups: { '': {} } }), ['groups: the group name "" must not be empty']);
  });

  it('throws an invalid-input domain error with a stable code and every problem in the message', () => {
    assert.throws(
      () => parsePolicy({ expiry: { maxDays: 0 }, oneTime: { mode: 'x' } }),
      (err: unknown) => {
        assert.ok(err instanceof InvalidInputError);
        assert.equal(err.kind, 'invalid');
        assert.equal(err.code, 'policy_invalid');
        assert.equal(
          err.message,
          'The policy is not valid: oneTime.mode: must be one of optional, default, forced; expiry.maxDays: must be a whole number of days from 1 to 3650.',
        );
        return true;
      },
    );
  });

  it('the default policy cannot be changed by accident', () => {
    assert.throws(() => {
      (DEFAULT_POLICY.expiry as { maxDays: number }).maxDays = 999;
    }, TypeError);
  });
});
