import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupsOf, identityFromClaims } from './oidc-identity.js';

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
