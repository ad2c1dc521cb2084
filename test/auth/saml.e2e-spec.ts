import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { SignedXml } from 'xml-crypto';
import { projectRoot } from '@mft/config';
import { onPostgres, TestGateway } from '@mft/testing';

// A test identity provider: responses are built as XML strings here and signed with xml-crypto,
// with the key the gateway trusts (idp) or one it does not (attacker).

const FIXTURES = join(projectRoot(), 'test', 'fixtures', 'saml');
const IDP = { key: readFileSync(join(FIXTURES, 'idp-key.pem'), 'utf8'), cert: readFileSync(join(FIXTURES, 'idp-cert.pem'), 'utf8') };
const ATTACKER = { key: readFileSync(join(FIXTURES, 'attacker-key.pem'), 'utf8'), cert: readFileSync(join(FIXTURES, 'attacker-cert.pem'), 'utf8') };
const IDP_ISSUER = 'https://idp.test.invalid/saml/metadata';
const IDP_SSO_URL = 'https://idp.test.invalid/saml/sso';
const PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const xmlId = (): string => `_${randomBytes(16).toString('hex')}`;
const iso = (offsetSeconds: number): string => new Date(Date.now() + offsetSeconds * 1000).toISOString();

/** What the gateway's AuthnRequest asked for. */
interface AuthnRequest {
  readonly id: string;
  readonly acsUrl: string;
  readonly spEntityId: string;
  readonly relayState: string | null;
}

interface ResponseOptions {
  readonly request: AuthnRequest;
  readonly nameId?: string;
  readonly groups?: readonly string[];
  readonly email?: string;
  readonly issuer?: string;
  readonly audience?: string;
  readonly recipient?: string;
  readonly destination?: string;
  /** InResponseTo of the Response and of the SubjectConfirmationData. */
  readonly inResponseTo?: string;
  /** Seconds from now. */
  readonly notBefore?: number;
  readonly notOnOrAfter?: number;
  readonly confirmationNotOnOrAfter?: number;
  readonly responseId?: string;
  readonly assertionId?: string;
}

function assertionXml(o: ResponseOptions & { assertionId: string }): string {
  const inResponseTo = o.inResponseTo ?? o.request.id;
  const attribute = (name: string, values: readonly string[]): string =>
    `<saml:Attribute Name="${esc(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">${values
      .map((v) => `<saml:AttributeValue xsi:type="xs:string">${esc(v)}</saml:AttributeValue>`)
      .join('')}</saml:Attribute>`;
  return [
    `<saml:Assertion xmlns:saml="${ASSERTION_NS}" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="${o.assertionId}" Version="2.0" IssueInstant="${iso(0)}">`,
    `<saml:Issuer>${esc(o.issuer ?? IDP_ISSUER)}</saml:Issuer>`,
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${esc(o.nameId ?? 'alice@corp.example')}</saml:NameID>`,
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="${esc(inResponseTo)}" NotOnOrAfter="${iso(o.confirmationNotOnOrAfter ?? o.notOnOrAfter ?? 300)}" Recipient="${esc(o.recipient ?? o.request.acsUrl)}"/></saml:SubjectConfirmation></saml:Subject>`,
    `<saml:Conditions NotBefore="${iso(o.notBefore ?? -30)}" NotOnOrAfter="${iso(o.notOnOrAfter ?? 300)}"><saml:AudienceRestriction><saml:Audience>${esc(o.audience ?? o.request.spEntityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`,
    `<saml:AuthnStatement AuthnInstant="${iso(-5)}" SessionIndex="${xmlId()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`,
    `<saml:AttributeStatement>${attribute('memberOf', o.groups ?? ['mft-admins', 'staff'])}${attribute('email', [o.email ?? o.nameId ?? 'alice@corp.example'])}${attribute('displayName', ['Alice Example'])}</saml:AttributeStatement>`,
    `</saml:Assertion>`,
  ].join('');
}

/** A Response with one Assertion, unsigned; ids are returned so that either can be signed. */
function buildResponse(o: ResponseOptions): { xml: string; responseId: string; assertionId: string } {
  const responseId = o.responseId ?? xmlId();
  const assertionId = o.assertionId ?? xmlId();
  const xml = [
    `<samlp:Response xmlns:samlp="${PROTOCOL_NS}" xmlns:saml="${ASSERTION_NS}" ID="${responseId}" Version="2.0" IssueInstant="${iso(0)}" Destination="${esc(o.destination ?? o.request.acsUrl)}" InResponseTo="${esc(o.inResponseTo ?? o.request.id)}">`,
    `<saml:Issuer>${esc(o.issuer ?? IDP_ISSUER)}</saml:Issuer>`,
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>`,
    assertionXml({ ...o, assertionId }),
    `</samlp:Response>`,
  ].join('');
  return { xml, responseId, assertionId };
}

const RSA_SHA256 = { signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', digest: 'http://www.w3.org/2001/04/xmlenc#sha256' };

/** Signs the element with ID `id` (RSA-SHA256 unless told, exclusive c14n, enveloped), the signature after its Issuer. */
function sign(xml: string, id: string, signer = IDP, algorithms = RSA_SHA256): string {
  const sig = new SignedXml({
    privateKey: signer.key,
    publicCert: signer.cert,
    signatureAlgorithm: algorithms.signature,
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sig.addReference({
    xpath: `//*[@ID='${id}']`,
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: algorithms.digest,
  });
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: `//*[@ID='${id}']/*[local-name(.)='Issuer']`, action: 'after' } });
  return sig.getSignedXml();
}

/** The one element `<tag ...>...</tag>` that starts at the first `<tag ` (the test's compact XML has no nesting of the same tag). */
function cut(xml: string, tag: string): { before: string; element: string; after: string } {
  const start = xml.indexOf(`<${tag} `);
  const end = xml.indexOf(`</${tag}>`, start) + `</${tag}>`.length;
  assert.ok(start >= 0 && end > start, `${tag} present`);
  return { before: xml.slice(0, start), element: xml.slice(start, end), after: xml.slice(end) };
}

/** A browser's cookie store for one origin. */
class CookieJar {
  readonly #cookies = new Map<string, string>();
  store(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const at = pair!.indexOf('=');
      this.#cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
  }
  get header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  has(name: string): boolean {
    return this.#cookies.has(name);
  }
}

interface AuditEventBody {
  type: string;
  actor: string;
  outcome: string;
  details: Record<string, unknown>;
}

const SAML_ENV = {
  SAML_IDP_SSO_URL: IDP_SSO_URL,
  SAML_IDP_CERT: IDP.cert,
  SAML_IDP_ISSUER: IDP_ISSUER,
  SAML_ROLES_ATTRIBUTE: 'memberOf',
  ROLE_MAP: 'mft-admins=admin,mft-auditors=auditor',
  // Each refusal test posts from its own client address, so the per-address sign-in budget stays out of its way.
  TRUSTED_PROXIES: '127.0.0.1',
};
const LOGIN_BUDGET = 120; // rateLimits.ssoPerIp.max in config/default.yaml

describe('SAML sign-in', () => {
  let gw: TestGateway;
  let token: string;
  let failuresSeen = 0;
  let nextClient = 10;
  /** A fresh client address (TEST-NET-2), sent as X-Forwarded-For through the trusted loopback proxy. */
  const client = (): string => `198.51.100.${nextClient++}`;

  before(async () => {
    gw = await TestGateway.start({ env: SAML_ENV });
    token = await gw.token();
  });
  after(async () => gw?.stop());

  /** Follows GET /auth/saml/login as a browser would up to the IdP, and decodes the AuthnRequest. */
  async function startLogin(jar: CookieJar, returnTo?: string, base = gw.baseUrl): Promise<AuthnRequest> {
    const res = await fetch(`${base}/auth/saml/login${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`, {
      redirect: 'manual',
      headers: { cookie: jar.header },
    });
    jar.store(res);
    assert.equal(res.status, 302);
    const location = new URL(res.headers.get('location')!);
    assert.equal(`${location.origin}${location.pathname}`, IDP_SSO_URL);
    const request = inflateRawSync(Buffer.from(location.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
    const attr = (name: string): string => new RegExp(`\\b${name}="([^"]+)"`).exec(request)![1]!;
    assert.match(request, /^<\?xml[^>]*\?>\s*<samlp:AuthnRequest /);
    assert.equal(attr('Destination'), IDP_SSO_URL);
    return {
      id: attr('ID'),
      acsUrl: attr('AssertionConsumerServiceURL'),
      spEntityId: /<saml:Issuer[^>]*>([^<]+)<\/saml:Issuer>/.exec(request)![1]!,
      relayState: location.searchParams.get('RelayState'),
    };
  }

  /** Posts the response to the ACS as the IdP's auto-submitting form makes the browser do. */
  async function postAcs(jar: CookieJar, xml: string, relayState?: string, base = gw.baseUrl, from?: string): Promise<Response> {
    const form = new URLSearchParams({ SAMLResponse: Buffer.from(xml, 'utf8').toString('base64') });
    if (relayState !== undefined) {
      form.set('RelayState', relayState);
    }
    const res = await fetch(`${base}/auth/saml/acs`, {
      method: 'POST',
      body: form,
      redirect: 'manual',
      headers: { cookie: jar.header, origin: 'https://idp.test.invalid', accept: 'text/html,application/xhtml+xml', ...(from ? { 'x-forwarded-for': from } : {}) },
    });
    jar.store(res);
    return res;
  }

  async function auditEvents(type: string): Promise<AuditEventBody[]> {
    const res = await fetch(`${gw.baseUrl}/api/v1/audit/events?type=${type}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    return (await res.json()) as AuditEventBody[];
  }

  async function me(jar: CookieJar): Promise<{ status: number; body: { user?: string; email?: string | null; roles?: string[] } }> {
    const res = await fetch(`${gw.baseUrl}/api/v1/me`, { headers: { cookie: jar.header } });
    // A browser session's answer also carries its CSRF token.
    const { csrfToken: _csrf, ...body } = (await res.json()) as { user?: string; roles?: string[]; csrfToken?: string };
    return { status: res.status, body };
  }

  /** 401 with a human page, no session, and exactly one new `auth.login_failed` whose reason matches. */
  async function assertRefused(jar: CookieJar, res: Response, reason: RegExp): Promise<void> {
    const page = await res.text();
    assert.equal(res.status, 401, page);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page, /Sign-in failed/);
    assert.doesNotMatch(page, /at .*\.js:\d+|Error:/);
    assert.equal(jar.has('mft_session'), false, 'no session cookie');
    assert.equal((await me(jar)).status, 401);
    const failures = await auditEvents('auth.login_failed');
    assert.equal(failures.length, failuresSeen + 1, 'one auth.login_failed per refusal');
    failuresSeen = failures.length;
    const last = failures.at(-1)!;
    assert.equal(last.outcome, 'failure');
    assert.equal(last.details.method, 'saml:saml');
    assert.match(String(last.details.reason), reason);
  }

  /** A fresh browser, a fresh AuthnRequest, and a response built (and tampered) by `make`; expects a refusal. */
  async function refuses(make: (request: AuthnRequest) => string, reason: RegExp): Promise<void> {
    const jar = new CookieJar();
    const request = await startLogin(jar);
    await assertRefused(jar, await postAcs(jar, make(request), undefined, gw.baseUrl, client()), reason);
  }

  it('over plain HTTP the gateway warns at start that SAML sign-ins cannot be bound to the browser, naming the key to change', () => {
    assert.match(gw.output(), /SAML sign-in is not bound to the browser that started it over plain HTTP.*"key":"http\.publicUrl"/);
  });

  it('publishes SP metadata naming its entity ID and ACS', async () => {
    const res = await fetch(`${gw.baseUrl}/auth/saml/metadata`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/samlmetadata\+xml/);
    const xml = await res.text();
    assert.match(xml, new RegExp(`entityID="${gw.baseUrl}/auth/saml/metadata"`));
    assert.match(xml, new RegExp(`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"\\s+Location="${gw.baseUrl}/auth/saml/acs"`));
  });

  it('sends the browser to the IdP with an AuthnRequest for this gateway', async () => {
    const request = await startLogin(new CookieJar(), '/links?tab=mine');
    assert.equal(request.acsUrl, `${gw.baseUrl}/auth/saml/acs`);
    assert.equal(request.spEntityId, `${gw.baseUrl}/auth/saml/metadata`);
    assert.equal(request.relayState, '/links?tab=mine');
    assert.match(request.id, /^_[0-9a-f]{40}$/);
    const offSite = await startLogin(new CookieJar(), 'https://evil.test/');
    assert.equal(offSite.relayState, '/app');
  });

  it('signs in with a signed assertion: session cookie, roles from groups, audited, back to RelayState', async () => {
    const jar = new CookieJar();
    const request = await startLogin(jar, '/links?tab=mine');
    const r = buildResponse({ request });
    const res = await postAcs(jar, sign(r.xml, r.assertionId), request.relayState!);
    assert.equal(res.status, 303, await res.text());
    assert.equal(res.headers.get('location'), '/links?tab=mine');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('mft_session='));
    assert.match(cookie ?? '', /HttpOnly/i);
    assert.match(cookie ?? '', /SameSite=Lax/i);
    assert.deepEqual((await me(jar)).body, { user: 'alice@corp.example', email: 'alice@corp.example', roles: ['admin'] });
    const page = await fetch(`${gw.baseUrl}/auth/me`, { headers: { cookie: jar.header } });
    assert.match(await page.text(), /alice@corp\.example/);
    const login = (await auditEvents('auth.login')).at(-1)!;
    assert.equal(login.actor, 'user:alice@corp.example');
    assert.equal(login.details.method, 'saml:saml');
  });

  it('signs in with a signed Response (assertion unsigned), and ignores an off-site RelayState', async () => {
    const jar = new CookieJar();
    const request = await startLogin(jar);
    const r = buildResponse({ request, nameId: 'bob@corp.example', groups: ['mft-auditors'] });
    const res = await postAcs(jar, sign(r.xml, r.responseId), 'https://evil.test/phish');
    assert.equal(res.status, 303, await res.text());
    assert.equal(res.headers.get('location'), '/app');
    assert.deepEqual((await me(jar)).body, { user: 'bob@corp.example', email: 'bob@corp.example', roles: ['auditor'] });
  });

  it('accepts an assertion that expired within the configured clock skew (60 s)', async () => {
    const jar = new CookieJar();
    const request = await startLogin(jar);
    const r = buildResponse({ request, nameId: 'carol@corp.example', groups: [], notBefore: 40, notOnOrAfter: -20 });
    const res = await postAcs(jar, sign(r.xml, r.assertionId));
    assert.equal(res.status, 303, await res.text());
    assert.deepEqual((await me(jar)).body.roles, ['employee']);
  });

  it('refuses an unsigned response', async () => {
    await refuses((request) => buildResponse({ request }).xml, /Invalid signature/);
  });

  it('refuses a response signed by the trusted key with SHA-1 (RSA-SHA1 or a SHA-1 digest), which the signature library would accept', async () => {
    const sha1 = { signature: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', digest: 'http://www.w3.org/2000/09/xmldsig#sha1' };
    await refuses((request) => {
      const r = buildResponse({ request });
      return sign(r.xml, r.assertionId, IDP, sha1);
    }, /rsa-sha1.*SignatureMethod.*RSA-SHA256 or stronger/);
    await refuses((request) => {
      const r = buildResponse({ request });
      return sign(r.xml, r.responseId, IDP, { signature: RSA_SHA256.signature, digest: sha1.digest });
    }, /xmldsig#sha1.*DigestMethod/);
  });

  it('refuses an assertion signed by a key the gateway does not trust', async () => {
    await refuses((request) => {
      const r = buildResponse({ request });
      return sign(r.xml, r.assertionId, ATTACKER);
    }, /Invalid signature/);
  });

  it('refuses a response re-signed by an attacker after changing the NameID, their certificate in KeyInfo', async () => {
    await refuses((request) => {
      const r = buildResponse({ request, nameId: 'mallory@corp.example' });
      return sign(r.xml.replace('mallory@corp.example</saml:NameID>', 'alice@corp.example</saml:NameID>'), r.responseId, ATTACKER);
    }, /Invalid signature/);
  });

  it('refuses a signed assertion whose NameID was changed after signing', async () => {
    await refuses((request) => {
      const r = buildResponse({ request, nameId: 'mallory@corp.example', groups: ['staff'] });
      return sign(r.xml, r.assertionId).replace('>mallory@corp.example</saml:NameID>', '>alice@corp.example</saml:NameID>');
    }, /Invalid signature/);
  });

  it('refuses a signed response whose NameID was changed after signing', async () => {
    await refuses((request) => {
      const r = buildResponse({ request, nameId: 'mallory@corp.example', groups: ['staff'] });
      return sign(r.xml, r.responseId).replace('>mallory@corp.example</saml:NameID>', '>alice@corp.example</saml:NameID>');
    }, /Invalid signature/);
  });

  it('refuses an injected unsigned assertion beside the signed one (XSW), in either order', async () => {
    for (const injectFirst of [true, false]) {
      await refuses((request) => {
        const r = buildResponse({ request, nameId: 'mallory@corp.example', groups: ['staff'] });
        const parts = cut(sign(r.xml, r.assertionId), 'saml:Assertion');
        const evil = assertionXml({ request, nameId: 'alice@corp.example', assertionId: xmlId() });
        return parts.before + (injectFirst ? evil + parts.element : parts.element + evil) + parts.after;
      }, /multiple assertions/);
    }
  });

  it('refuses an unsigned assertion wrapping the signed one (XSW)', async () => {
    await refuses((request) => {
      const r = buildResponse({ request, nameId: 'mallory@corp.example', groups: ['staff'] });
      const parts = cut(sign(r.xml, r.assertionId), 'saml:Assertion');
      const evil = assertionXml({ request, nameId: 'alice@corp.example', assertionId: xmlId() });
      const wrapped = evil.replace('</saml:Conditions>', `</saml:Conditions><saml:Advice>${parts.element}</saml:Advice>`);
      return parts.before + wrapped + parts.after;
    }, /Invalid signature/);
  });

  it('refuses the IdP signature moved onto an assertion for someone else, the signed original hidden inside (XSW)', async () => {
    for (const sameId of [false, true]) {
      await refuses((request) => {
        const r = buildResponse({ request, nameId: 'mallory@corp.example', groups: ['staff'] });
        const parts = cut(sign(r.xml, r.assertionId), 'saml:Assertion');
        const signature = cut(parts.element, 'ds:Signature');
        const original = signature.before + signature.after;
        const evil = assertionXml({ request, nameId: 'alice@corp.example', assertionId: sameId ? r.assertionId : xmlId() })
          .replace('</saml:Issuer>', `</saml:Issuer>${signature.element}`)
          .replace('</saml:Conditions>', `</saml:Conditions><saml:Advice>${original}</saml:Advice>`);
        return parts.before + evil + parts.after;
      }, sameId ? /more than one element/ : /does not refer to it's parent/);
    }
  });

  it('refuses a forged response carrying the signed original response inside it (XSW on the Response signature)', async () => {
    await refuses((request) => {
      const r = buildResponse({ request, nameId: 'mallory@corp.example', groups: ['staff'] });
      const signed = sign(r.xml, r.responseId);
      const signature = cut(signed, 'ds:Signature');
      const original = signature.before + signature.after;
      const forged = buildResponse({ request, nameId: 'alice@corp.example' }).xml;
      return forged.replace('</saml:Issuer>', `</saml:Issuer>${signature.element.replace('</ds:Signature>', `<ds:Object>${original}</ds:Object></ds:Signature>`)}`);
    }, /does not refer to it's parent/);
  });

  it('takes the whole signed NameID, not the part before an injected comment', async () => {
    const jar = new CookieJar();
    const request = await startLogin(jar);
    const r = buildResponse({ request, nameId: 'alice@corp.example.attacker.test', groups: ['mft-admins'] });
    const tampered = sign(r.xml, r.assertionId).replace('>alice@corp.example.attacker.test<', '>alice@corp.example<!---->.attacker.test<');
    const res = await postAcs(jar, tampered);
    assert.equal(res.status, 303, 'the comment is outside the signed canonical form, so the signature still holds');
    assert.equal((await me(jar)).body.user, 'alice@corp.example.attacker.test');
  });

  it('refuses an assertion that expired beyond the clock skew', async () => {
    await refuses((request) => {
      const r = buildResponse({ request, notBefore: -900, notOnOrAfter: -300 });
      return sign(r.xml, r.assertionId);
    }, /No valid subject confirmation|expired/);
  });

  it('refuses an assertion whose conditions expired though its subject confirmation did not', async () => {
    await refuses((request) => {
      const r = buildResponse({ request, notBefore: -900, notOnOrAfter: -300, confirmationNotOnOrAfter: 300 });
      return sign(r.xml, r.assertionId);
    }, /expired/);
  });

  it('refuses an assertion not valid yet beyond the clock skew', async () => {
    await refuses((request) => {
      const r = buildResponse({ request, notBefore: 300, notOnOrAfter: 900 });
      return sign(r.xml, r.assertionId);
    }, /not yet valid/);
  });

  it('refuses an assertion for another audience', async () => {
    await refuses((request) => {
      const r = buildResponse({ request, audience: 'https://other-sp.test.invalid/metadata' });
      return sign(r.xml, r.assertionId);
    }, /audience mismatch/);
  });

  it('refuses an assertion whose recipient is another service', async () => {
    await refuses((request) => {
      const r = buildResponse({ request, recipient: 'https://other-sp.test.invalid/acs' });
      return sign(r.xml, r.assertionId);
    }, /recipient "https:\/\/other-sp\.test\.invalid\/acs" is not this gateway's ACS/);
  });

  it('refuses a response addressed to another service', async () => {
    await refuses((request) => {
      const r = buildResponse({ request, destination: 'https://other-sp.test.invalid/acs' });
      return sign(r.xml, r.responseId);
    }, /destination "https:\/\/other-sp\.test\.invalid\/acs"/);
  });

  it('refuses an assertion from another issuer, even signed with the trusted key', async () => {
    await refuses((request) => {
      const r = buildResponse({ request, issuer: 'https://other-idp.test.invalid/metadata' });
      return sign(r.xml, r.assertionId);
    }, /assertion issuer/);
  });

  it('refuses a response to a request the gateway never issued', async () => {
    await refuses((request) => {
      const r = buildResponse({ request, inResponseTo: xmlId() });
      return sign(r.xml, r.assertionId);
    }, /InResponseTo is not valid/);
  });

  it('a refused post naming a pending request does not cancel it: the real answer still signs in, once', async () => {
    const jar = new CookieJar();
    const request = await startLogin(jar);
    // Someone who saw the request id posts junk answering it, unsigned and signed by another key.
    const forged = buildResponse({ request, nameId: 'mallory@corp.example' });
    assert.equal((await postAcs(new CookieJar(), forged.xml, undefined, gw.baseUrl, client())).status, 401);
    assert.equal((await postAcs(new CookieJar(), sign(forged.xml, forged.assertionId, ATTACKER), undefined, gw.baseUrl, client())).status, 401);
    const real = buildResponse({ request, nameId: 'heidi@corp.example' });
    const res = await postAcs(jar, sign(real.xml, real.assertionId));
    assert.equal(res.status, 303, await res.text());
    assert.equal((await me(jar)).body.user, 'heidi@corp.example');
    // A second, different answer to the same request is refused: a request is answered once.
    const again = buildResponse({ request, nameId: 'heidi@corp.example' });
    assert.equal((await postAcs(new CookieJar(), sign(again.xml, again.assertionId), undefined, gw.baseUrl, client())).status, 401);
    failuresSeen = (await auditEvents('auth.login_failed')).length;
  });

  it('refuses an unsolicited (IdP-initiated) response', async () => {
    await refuses((request) => {
      const r = buildResponse({ request });
      return sign(r.xml.replace(/ InResponseTo="[^"]*"/, ''), r.assertionId);
    }, /InResponseTo is missing/);
  });

  it('answers an IdP refusal with 401', async () => {
    await refuses(
      (request) =>
        `<samlp:Response xmlns:samlp="${PROTOCOL_NS}" xmlns:saml="${ASSERTION_NS}" ID="${xmlId()}" Version="2.0" IssueInstant="${iso(0)}" Destination="${request.acsUrl}" InResponseTo="${request.id}"><saml:Issuer>${IDP_ISSUER}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"/></samlp:StatusCode></samlp:Status></samlp:Response>`,
      /Responder error/,
    );
  });

  it('refuses the same valid response a second time', async () => {
    const jar = new CookieJar();
    const request = await startLogin(jar);
    const r = buildResponse({ request, nameId: 'dave@corp.example' });
    const signed = sign(r.xml, r.assertionId);
    assert.equal((await postAcs(jar, signed)).status, 303);
    const attacker = new CookieJar();
    await assertRefused(attacker, await postAcs(attacker, signed), /InResponseTo is not valid|already used|already answered/);
  });

  it('accepts only one of two copies of a response posted at the same time', async () => {
    const request = await startLogin(new CookieJar());
    const r = buildResponse({ request, nameId: 'erin@corp.example' });
    const signed = sign(r.xml, r.assertionId);
    const jars = [new CookieJar(), new CookieJar()];
    const results = await Promise.all(jars.map((jar) => postAcs(jar, signed)));
    assert.deepEqual(results.map((res) => res.status).sort(), [303, 401]);
    assert.equal(jars.filter((jar) => jar.has('mft_session')).length, 1);
    const failures = await auditEvents('auth.login_failed');
    assert.match(String(failures.at(-1)!.details.reason), /InResponseTo is not valid|already used|already answered/);
    failuresSeen = failures.length;
  });

  it('answers an unknown provider with a 404 page', async () => {
    const res = await fetch(`${gw.baseUrl}/auth/saml/nope/login`, { headers: { accept: 'text/html' } });
    assert.equal(res.status, 404);
    assert.match(await res.text(), /saml_provider_unknown/);
  });

  it('counts posts per address before checking them: 429 with a page once the budget is spent, successful sign-ins given back, the request still usable from elsewhere', async () => {
    const office = client();
    for (let i = 0; i < LOGIN_BUDGET - 1; i++) {
      assert.equal((await postAcs(new CookieJar(), 'not a SAML response', undefined, gw.baseUrl, office)).status, 401);
    }
    const signIn = async (from: string, jar = new CookieJar()): Promise<{ res: Response; jar: CookieJar; signed: string }> => {
      const request = await startLogin(jar);
      const r = buildResponse({ request, nameId: 'grace@corp.example' });
      const signed = sign(r.xml, r.assertionId);
      return { res: await postAcs(jar, signed, undefined, gw.baseUrl, from), jar, signed };
    };
    assert.equal((await signIn(office)).res.status, 303, 'a colleague behind the same address signs in, and the attempt is given back');
    assert.equal((await postAcs(new CookieJar(), 'not a SAML response', undefined, gw.baseUrl, office)).status, 401, 'the last attempt of the budget');

    const { res: limited, jar, signed } = await signIn(office);
    const page = await limited.text();
    assert.equal(limited.status, 429, page);
    assert.match(limited.headers.get('content-type') ?? '', /text\/html/);
    assert.ok(Number(limited.headers.get('retry-after')) > 0, 'Retry-After');
    assert.match(page, /Too many sign-in attempts from your address/);
    assert.equal(jar.has('mft_session'), false);

    const elsewhere = await postAcs(jar, signed, undefined, gw.baseUrl, client());
    assert.equal(elsewhere.status, 303, 'the refused response was not checked, so it was not used up: it still signs in from another address');
    failuresSeen = (await auditEvents('auth.login_failed')).length;
  });

  it('over plain HTTP no browser-binding cookie is set (browsers would refuse a SameSite=None cookie without Secure)', async () => {
    const res = await fetch(`${gw.baseUrl}/auth/saml/login`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.getSetCookie().filter((c) => c.startsWith('mft_saml=')).length, 0);
  });

  describe('behind TLS (PUBLIC_URL https), a sign-in only finishes in the browser that started it', () => {
    let tls: TestGateway;
    let tlsToken: string;
    before(async () => {
      tls = await TestGateway.start({ env: { ...SAML_ENV, PUBLIC_URL: 'https://mft.test.invalid' } });
      tlsToken = await tls.token();
      assert.doesNotMatch(tls.output(), /not bound to the browser/, 'no warning behind TLS');
    });
    after(async () => tls?.stop());

    const whoAmI = async (jar: CookieJar): Promise<number> => (await fetch(`${tls.baseUrl}/api/v1/me`, { headers: { cookie: jar.header } })).status;

    it('the login sets a Secure, HttpOnly, SameSite=None cookie for the ACS, and the response posted with it signs in', async () => {
      const first = await fetch(`${tls.baseUrl}/auth/saml/login`, { redirect: 'manual' });
      const cookie = first.headers.getSetCookie().find((c) => c.startsWith('mft_saml='));
      assert.ok(cookie, 'mft_saml cookie');
      assert.match(cookie, /; Secure/i);
      assert.match(cookie, /; HttpOnly/i);
      assert.match(cookie, /SameSite=None/i);
      assert.match(cookie, /Path=\/auth\/saml\//i);

      const jar = new CookieJar();
      const request = await startLogin(jar, undefined, tls.baseUrl);
      assert.equal(request.acsUrl, 'https://mft.test.invalid/auth/saml/acs');
      const secondTab = await startLogin(jar, undefined, tls.baseUrl);
      const r = buildResponse({ request, nameId: 'ivan@corp.example' });
      const res = await postAcs(jar, sign(r.xml, r.assertionId), undefined, tls.baseUrl);
      assert.equal(res.status, 303, await res.text());
      assert.equal(await whoAmI(jar), 200);
      // A second tab of the same browser keeps the same secret, so its sign-in finishes too.
      const r2 = buildResponse({ request: secondTab, nameId: 'ivan@corp.example' });
      assert.equal((await postAcs(jar, sign(r2.xml, r2.assertionId), undefined, tls.baseUrl)).status, 303);
    });

    it('a response carried into another browser is refused (login CSRF): the victim is not signed in as the attacker, and the request still works where it started', async () => {
      const attacker = new CookieJar();
      const request = await startLogin(attacker, undefined, tls.baseUrl);
      const r = buildResponse({ request, nameId: 'mallory@corp.example' });
      const signed = sign(r.xml, r.assertionId);

      for (const victim of [new CookieJar(), await (async () => {
        const jar = new CookieJar();
        await startLogin(jar, undefined, tls.baseUrl); // the victim has a sign-in of their own pending
        return jar;
      })()]) {
        const res = await postAcs(victim, signed, undefined, tls.baseUrl, client());
        const page = await res.text();
        assert.equal(res.status, 401, page);
        assert.match(page, /does not match a sign-in started here/);
        assert.equal(victim.has('mft_session'), false);
        assert.equal(await whoAmI(victim), 401);
      }
      const failures = (await (await fetch(`${tls.baseUrl}/api/v1/audit/events?type=auth.login_failed`, { headers: { authorization: `Bearer ${tlsToken}` } })).json()) as AuditEventBody[];
      assert.match(String(failures.at(-1)!.details.reason), /started in another browser/);

      const own = await postAcs(attacker, signed, undefined, tls.baseUrl);
      assert.equal(own.status, 303, 'the refused posts did not use the request up');
    });
  });

  it('finishes on a second replica a sign-in started on the first (request ids in the database)', async () => {
    // Replicas share a PostgreSQL server; in the embedded-database run this pair gets its own.
    const primary = onPostgres() ? gw : await TestGateway.start({ database: 'postgres', env: SAML_ENV });
    const replica = await TestGateway.start({ share: primary, env: { PUBLIC_URL: primary.baseUrl } });
    try {
      const jar = new CookieJar();
      const request = await startLogin(jar, undefined, primary.baseUrl);
      const r = buildResponse({ request, nameId: 'frank@corp.example' });
      const signed = sign(r.xml, r.assertionId);
      const res = await postAcs(jar, signed, undefined, replica.baseUrl);
      assert.equal(res.status, 303, await res.text());
      assert.equal((await postAcs(new CookieJar(), signed, undefined, primary.baseUrl)).status, 401, 'the first replica refuses the replay');
      failuresSeen = (await auditEvents('auth.login_failed')).length;
    } finally {
      await replica.stop();
      if (primary !== gw) {
        await primary.stop();
      }
    }
  });
});

describe('SAML dependencies', () => {
  it('npm ls shows node-saml >= 5.1.0 and exactly one xml-crypto, >= 6.1.2', async () => {
    const run = await promisify(execFile)('npm', ['ls', '--all', '--json', 'xml-crypto', '@node-saml/node-saml'], { cwd: projectRoot() }).catch(
      (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
    );
    interface Tree {
      version?: string;
      dependencies?: Record<string, Tree>;
    }
    const versions = new Map<string, Set<string>>();
    const walk = (deps: Record<string, Tree> | undefined): void => {
      for (const [name, node] of Object.entries(deps ?? {})) {
        if (node.version) {
          versions.set(name, (versions.get(name) ?? new Set()).add(node.version));
        }
        walk(node.dependencies);
      }
    };
    walk((JSON.parse(run.stdout) as Tree).dependencies);
    const atLeast = (v: string, min: string): boolean => {
      const a = v.split(/[.-]/).map(Number);
      const b = min.split('.').map(Number);
      for (let i = 0; i < 3; i++) {
        if (a[i]! !== b[i]!) {
          return a[i]! > b[i]!;
        }
      }
      return true;
    };
    const nodeSaml = [...(versions.get('@node-saml/node-saml') ?? [])];
    assert.ok(nodeSaml.length > 0 && nodeSaml.every((v) => atLeast(v, '5.1.0')), `node-saml ${nodeSaml.join(', ')}`);
    const xmlCrypto = [...(versions.get('xml-crypto') ?? [])];
    assert.equal(xmlCrypto.length, 1, `one xml-crypto version, found: ${xmlCrypto.join(', ')}`);
    assert.ok(atLeast(xmlCrypto[0]!, '6.1.2'), `xml-crypto ${xmlCrypto[0]}`);
  });
});
