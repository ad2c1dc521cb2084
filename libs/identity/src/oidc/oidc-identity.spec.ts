import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupsOf, identityFromClaims, missingRolesClaimWarning } from './oidc-identity.js';

describe(identityFromClaims.name, () => {
  const sut = identityFromClaims;

  it('takes the user name from preferred_username, then email, then sub', () => {
    const base = { sub: 'a1b2', email: 'ann@example.test', preferred_username: 'ann' };
    assert.equal(sut('corp', 'groups', base).username, 'ann');
    assert.equal(sut('corp', 'groups', { ...base, preferred_username: ' ' }).username, 'ann@example.test');
    assert.equal(sut('corp', 'groups', { sub: 'a1b2' }).username, 'a1b2');
  });

  it('names the provider, and keeps e-mail, display name and groups', () => {
    assert.deepEqual(sut('corp', 'groups', { sub: 's', email: 'e@example.test', name: 'Ann Example', groups: ['mft-admins', 7, ''] }), {
      idp: 'oidc:corp',
      subject: 's',
      username: 'e@example.test',
      email: 'e@example.test',
      displayName: 'Ann Example',
      groups: ['mft-admins'],
    });
  });

  it('refuses claims without a subject', () => {
    assert.throws(() => sut('corp', 'groups', { email: 'e@example.test' }), { code: 'oidc_response_invalid' });
  });
});

describe(groupsOf.name, () => {
  const sut = groupsOf;

  it('reads a single string as one group (names may hold commas and spaces)', () => {
    assert.deepEqual(sut({ groups: 'CN=File Admins,OU=Groups' }, 'groups'), ['CN=File Admins,OU=Groups']);
  });

  it('follows a dotted path into nested claims, but prefers a claim named with dots', () => {
    assert.deepEqual(sut({ realm_access: { roles: ['mft-audit'] } }, 'realm_access.roles'), ['mft-audit']);
    assert.deepEqual(sut({ 'https://example.test/groups': ['x'] }, 'https://example.test/groups'), ['x']);
  });

  it('gives no groups when the claim is missing or of another type', () => {
    assert.deepEqual(sut({}, 'groups'), []);
    assert.deepEqual(sut({ groups: { a: 1 } }, 'groups'), []);
    assert.deepEqual(sut({ realm_access: ['x'] }, 'realm_access.roles'), []);
  });
});

describe(missingRolesClaimWarning.name, () => {
  const sut = missingRolesClaimWarning;

  it('warns, naming the claim and OIDC_SCOPES, when neither the ID token nor UserInfo carries the roles claim', () => {
    const warning = sut('corp', 'groups', 'openid email profile', { sub: 's', email: 'e@example.test' });
    assert.equal(
      warning,
      'OIDC provider "corp" sent no "groups" claim (OIDC_ROLES_CLAIM) in the ID token or UserInfo, so the user gets the default roles. ' +
        'Many providers send groups only when a scope asks for them: check OIDC_SCOPES (now "openid email profile") and the provider\'s claim mapping.',
    );
    assert.match(sut('kc', 'realm_access.roles', 'openid', { sub: 's', realm_access: {} })!, /"realm_access\.roles" claim/);
  });

  it('is silent when the claim is there, even empty (a person in no group)', () => {
    assert.equal(sut('corp', 'groups', 'openid groups', { sub: 's', groups: [] }), null);
    assert.equal(sut('corp', 'groups', 'openid groups', { sub: 's', groups: 'one' }), null);
    assert.equal(sut('kc', 'realm_access.roles', 'openid', { sub: 's', realm_access: { roles: ['a'] } }), null);
  });
});
