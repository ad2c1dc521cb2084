import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEventInput, AuditService } from '@mft/audit';
import { type Clock, DomainError, RateLimitedError } from '@mft/core';
import type { LoginThrottle } from '../login-throttle.js';
import type { SessionService } from '../session.service.js';
import type { SessionsRepository } from '../sessions.repository.js';
import type { SsoIdentity, SsoUsersService } from '../sso-users.service.js';
import type { User } from '../user.js';
import { assertStrongSignatures, checkAssertion, responseDestination, SamlRejection, type AssertionExpectations } from './saml-assertion.js';
import { SamlLoginService } from './saml-login.service.js';
import type { SamlProvider, SamlProviders } from './saml-providers.js';
import { idpCertificates } from './saml-providers.js';

const NOW = Date.parse('2030-01-01T12:00:00Z');
const ACS = 'https://mft.example/auth/saml/acs';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const at = (seconds: number): string => new Date(NOW + seconds * 1000).toISOString();
const ctx = { actor: 'anonymous', ip: '127.0.0.1', userAgent: 'test' };

/** An assertion as node-saml's `profile.getAssertion()` gives it (xml2js, prefixes stripped). */
function parsedAssertion(over: { id?: string; format?: string; confirmations?: unknown[]; conditionsUntil?: number; issuer?: string } = {}): unknown {
  return {
    Assertion: {
      $: { ID: over.id ?? '_a1', Version: '2.0' },
      Issuer: [{ _: over.issuer ?? 'https://idp.example' }],
      Subject: [
        {
          NameID: [{ _: ' alice@corp.example\n', $: { Format: over.format ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' } }],
          SubjectConfirmation: over.confirmations ?? [
            { $: { Method: BEARER }, SubjectConfirmationData: [{ $: { Recipient: ACS, InResponseTo: '_req', NotOnOrAfter: at(300) } }] },
          ],
        },
      ],
      Conditions: [{ $: { NotBefore: at(-30), NotOnOrAfter: at(over.conditionsUntil ?? 600) } }],
      AuthnStatement: [{ $: { AuthnInstant: at(-5) } }],
    },
  };
}

const expectations: AssertionExpectations = { acsUrl: ACS, inResponseTo: '_req', idpIssuer: 'https://idp.example', nowMs: NOW, skewMs: 60_000 };

describe('checkAssertion', () => {
  it('returns the trimmed NameID and the earliest expiry plus the skew', () => {
    const checked = checkAssertion(parsedAssertion(), expectations);
    assert.deepEqual(checked, {
      id: '_a1',
      nameId: 'alice@corp.example',
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      acceptableUntilMs: NOW + 360_000,
    });
    assert.equal(checkAssertion(parsedAssertion({ conditionsUntil: 100 }), expectations).acceptableUntilMs, NOW + 160_000);
  });

  it('refuses a transient NameID, which cannot identify a returning user', () => {
    assert.throws(() => checkAssertion(parsedAssertion({ format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient' }), expectations), {
      name: 'SamlRejection',
      kind: 'unsupported',
    });
  });

  it('refuses another issuer', () => {
    assert.throws(() => checkAssertion(parsedAssertion({ issuer: 'https://other.example' }), expectations), { kind: 'misdirected' });
  });

  it('needs a bearer confirmation for this ACS and this request, not expired', () => {
    const data = (over: Record<string, string>): unknown[] => [
      { $: { Method: BEARER }, SubjectConfirmationData: [{ $: { Recipient: ACS, InResponseTo: '_req', NotOnOrAfter: at(300), ...over } }] },
    ];
    const cases: Array<[unknown[], string, RegExp]> = [
      [[{ $: { Method: 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key' }, SubjectConfirmationData: [{ $: { Recipient: ACS, InResponseTo: '_req', NotOnOrAfter: at(300) } }] }], 'invalid', /no bearer/],
      [data({ Recipient: 'https://other.example/acs' }), 'misdirected', /recipient/],
      [data({ InResponseTo: '_other' }), 'unsolicited', /answers "_other"/],
      [data({ NotOnOrAfter: at(-61) }), 'expired', /expired/],
      [[{ $: { Method: BEARER }, SubjectConfirmationData: [{ $: { Recipient: ACS, InResponseTo: '_req' } }] }], 'invalid', /no NotOnOrAfter/],
    ];
    for (const [confirmations, kind, reason] of cases) {
      assert.throws(
        () => checkAssertion(parsedAssertion({ confirmations }), expectations),
        (err: unknown) => err instanceof SamlRejection && err.kind === kind && reason.test(err.reason),
      );
    }
    assert.equal(checkAssertion(parsedAssertion({ confirmations: data({ NotOnOrAfter: at(-59) }) }), expectations).id, '_a1');
  });
});

describe('responseDestination', () => {
  it('reads the root Destination after a declaration and comments, decoding entities', () => {
    const xml = `<?xml version="1.0"?>\n<!-- a > b --><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID='_r' Destination="https://mft.example/acs?a=1&amp;b=2"><x Destination="no"/></samlp:Response>`;
    assert.equal(responseDestination(xml), 'https://mft.example/acs?a=1&b=2');
  });

  it('is null without a Destination, and refuses what is not a Response', () => {
    assert.equal(responseDestination('<Response ID="_r"><Child Destination="x"/></Response>'), null);
    assert.throws(() => responseDestination('<samlp:LogoutResponse Destination="x"/>'), SamlRejection);
  });
});

describe('assertStrongSignatures', () => {
  const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
  const signed = (prefix: string, signature: string, digest: string): string =>
    `<r:Response xmlns:r="urn:oasis:names:tc:SAML:2.0:protocol"><a:Assertion xmlns:a="urn:oasis:names:tc:SAML:2.0:assertion"><${prefix}Signature xmlns${prefix ? `:${prefix.slice(0, -1)}` : ''}="${DSIG}"><${prefix}SignedInfo>` +
    `<${prefix}SignatureMethod Algorithm="${signature}"/><${prefix}Reference URI="#a"><${prefix}DigestMethod Algorithm="${digest}"/></${prefix}Reference></${prefix}SignedInfo></${prefix}Signature></a:Assertion></r:Response>`;
  const SHA256 = ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2001/04/xmlenc#sha256'] as const;

  it('accepts RSA-SHA256 under any namespace prefix', () => {
    for (const prefix of ['ds:', 'x:', '']) {
      assertStrongSignatures(signed(prefix, ...SHA256));
    }
  });

  it('refuses SHA-1 signatures and digests whatever the prefix, and a document that does not parse', () => {
    const refused = (xml: string, reason: RegExp): void =>
      assert.throws(() => assertStrongSignatures(xml), (err: unknown) => err instanceof SamlRejection && reason.test(err.reason));
    refused(signed('zz:', `${DSIG}rsa-sha1`, SHA256[1]), /rsa-sha1.*SignatureMethod/);
    refused(signed('', SHA256[0], `${DSIG}sha1`), /sha1.*DigestMethod/);
    refused(signed('ds:', SHA256[0], ''), /"".*DigestMethod/);
    refused('<Response ID="a" ID="b"/>', /does not parse/);
  });
});

describe('idpCertificates', () => {
  it('refuses a value that is not a certificate', () => {
    assert.throws(() => idpCertificates('not a certificate'));
    assert.throws(() => idpCertificates('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----'), /no "-----BEGIN CERTIFICATE-----" block/);
  });
});

describe(SamlLoginService.name, () => {
  /** The service with strict in-memory fakes, and a node-saml stand-in that accepts any response. */
  function setup() {
    const cache = new Map<string, string>();
    const audited: AuditEventInput[] = [];
    const signedIn: SsoIdentity[] = [];
    const profile = {
      issuer: 'https://idp.example',
      nameID: 'alice@corp.example',
      nameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      inResponseTo: '_req',
      attributes: { memberOf: ['mft-admins', 'staff'], email: 'alice@corp.example', displayName: 'Alice' },
      getAssertion: () => parsedAssertion() as Record<string, unknown>,
      getSamlResponseXml: () => `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Destination="${ACS}" InResponseTo="_req">`,
    };
    const provider = {
      id: 'saml',
      name: 'Corp IdP',
      method: 'saml:saml',
      entityId: 'https://mft.example/auth/saml/metadata',
      acsUrl: ACS,
      idpIssuer: 'https://idp.example',
      rolesAttribute: 'memberOf',
      emailAttribute: 'email',
      clockSkewMs: 60_000,
      bindToBrowser: false,
      saml: { validatePostResponseAsync: () => (validations++, Promise.resolve({ profile, loggedOut: false })) },
      // Still pending for every caller: the assertion-id check alone must stop a second copy.
      requests: { take: () => Promise.resolve(true) },
    } as unknown as SamlProvider;
    let cacheDown = false;
    let validations = 0;
    /** Attempts counted and not given back, with a budget of two. */
    let attempts = 0;
    const throttle = {
      attempt: () => (++attempts > 2 ? Promise.reject(new RateLimitedError('too_many_attempts', 'Too many sign-in attempts.', 60)) : Promise.resolve()),
      forgive: () => (attempts--, Promise.resolve()),
    } as unknown as LoginThrottle;
    const repo = {
      cacheSave: (key: string, value: string) => {
        if (cacheDown) {
          return Promise.reject(new Error('connection refused'));
        }
        const fresh = !cache.has(key);
        if (fresh) {
          cache.set(key, value);
        }
        return Promise.resolve(fresh);
      },
    } as unknown as SessionsRepository;
    const user: User = { id: 'u1', username: 'alice@corp.example', email: 'alice@corp.example', displayName: 'Alice', roles: ['admin'] };
    const sut = new SamlLoginService(
      { get: () => provider } as unknown as SamlProviders,
      { signIn: (identity: SsoIdentity) => (signedIn.push(identity), Promise.resolve(user)) } as unknown as SsoUsersService,
      { start: () => Promise.resolve('raw-session-id') } as unknown as SessionService,
      repo,
      { record: (_: unknown, ...inputs: AuditEventInput[]) => (audited.push(...inputs), Promise.resolve()) } as unknown as AuditService,
      { now: () => new Date(NOW) } as Clock,
      throttle,
    );
    return {
      sut,
      audited,
      signedIn,
      cache,
      setCacheDown: (down: boolean) => (cacheDown = down),
      attempts: () => attempts,
      validations: () => validations,
    };
  }

  it('signs in with the NameID, groups and email of the verified assertion, and audits auth.login', async () => {
    const { sut, audited, signedIn, cache } = setup();
    const done = await sut.complete(undefined, { SAMLResponse: 'x' }, ctx, null);
    assert.equal(done.sessionId, 'raw-session-id');
    assert.deepEqual(signedIn, [
      { idp: 'saml:saml', subject: 'alice@corp.example', username: 'alice@corp.example', email: 'alice@corp.example', displayName: 'Alice', groups: ['mft-admins', 'staff'] },
    ]);
    assert.deepEqual(audited.map((e) => e.type), ['auth.login']);
    assert.deepEqual([...cache.keys()], ['saml:assertion:saml:_a1']);
  });

  it('refuses a second copy of an assertion whose request id is still pending (two replicas racing)', async () => {
    const { sut, audited, signedIn } = setup();
    await sut.complete(undefined, { SAMLResponse: 'x' }, ctx, null);
    await assert.rejects(sut.complete(undefined, { SAMLResponse: 'x' }, ctx, null), (err: unknown) => err instanceof DomainError && err.code === 'saml_response_unsolicited');
    assert.equal(signedIn.length, 1);
    assert.equal(audited.at(-1)!.type, 'auth.login_failed');
    assert.match(String(audited.at(-1)!.details!.reason), /assertion "_a1" was already used/);
  });

  it('answers 503 without auditing a failed sign-in when the shared cache is down', async () => {
    const { sut, audited, setCacheDown } = setup();
    setCacheDown(true);
    await assert.rejects(sut.complete(undefined, { SAMLResponse: 'x' }, ctx, null), (err: unknown) => err instanceof DomainError && err.kind === 'unavailable');
    assert.deepEqual(audited, []);
  });

  it('counts refused posts against the address, refuses with 429 before checking any signature once the budget is spent, and gives back successful sign-ins', async () => {
    const { sut, attempts, validations } = setup();
    await sut.complete(undefined, { SAMLResponse: 'x' }, ctx, null);
    assert.equal(attempts(), 0, 'a successful sign-in gives its attempt back');
    for (let i = 0; i < 2; i++) {
      await assert.rejects(sut.complete(undefined, {}, ctx, null), (err: unknown) => err instanceof DomainError && err.code === 'saml_response_rejected');
    }
    const checked = validations();
    await assert.rejects(sut.complete(undefined, { SAMLResponse: 'x' }, ctx, null), (err: unknown) => err instanceof DomainError && err.code === 'too_many_attempts');
    assert.equal(validations(), checked, 'no signature was checked for the refused post');
  });

  it('gives the attempt back when the post failed on the gateway side (cache down)', async () => {
    const { sut, setCacheDown, attempts } = setup();
    setCacheDown(true);
    await assert.rejects(sut.complete(undefined, { SAMLResponse: 'x' }, ctx, null), (err: unknown) => err instanceof DomainError && err.kind === 'unavailable');
    assert.equal(attempts(), 0);
  });

  it('refuses a form without SAMLResponse', async () => {
    const { sut, audited } = setup();
    await assert.rejects(sut.complete(undefined, {}, ctx, null), (err: unknown) => err instanceof DomainError && err.code === 'saml_response_rejected');
    assert.match(String(audited.at(-1)!.details!.reason), /no SAMLResponse/);
  });
});
