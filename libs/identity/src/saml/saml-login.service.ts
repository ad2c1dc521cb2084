import { inflateRawSync } from 'node:zlib';
import { Injectable, Logger } from '@nestjs/common';
import { SamlStatusError, type Profile } from '@node-saml/passport-saml';
import { AuditService, type AccessContext } from '@mft/audit';
import { Clock, hashToken, randomToken, safeEqual, UnauthenticatedError, UnavailableError } from '@mft/core';
import { LoginThrottle } from '../login-throttle.js';
import { SessionService } from '../session.service.js';
import { SessionsRepository } from '../sessions.repository.js';
import { SsoUsersService, type SsoIdentity } from '../sso-users.service.js';
import { userActor, type User } from '../user.js';
import { assertStrongSignatures, checkAssertion, responseDestination, SamlRejection } from './saml-assertion.js';
import { SAML_REQUEST_TTL_SECONDS, SamlProviders, type SamlProvider } from './saml-providers.js';
import { SamlCacheError } from './saml-request-cache.js';

/** What the ACS form carries (HTTP-POST binding). */
export interface SamlAcsForm {
  readonly SAMLResponse?: unknown;
  readonly RelayState?: unknown;
}

/** A started SAML sign-in: where to send the browser, and the browser secret to keep in its cookie (null: not bound). */
export interface SamlStarted {
  readonly url: string;
  readonly browser: string | null;
}

/** A finished SAML sign-in. */
export interface SamlSignedIn {
  readonly user: User;
  /** The raw session id, for the session cookie. */
  readonly sessionId: string;
}

/** RelayState is limited to 80 bytes by the SAML bindings. */
const MAX_RELAY_STATE = 80;
const MAX_NAME_ID = 256;

/**
 * SAML 2.0 Web Browser SSO as a service provider: the AuthnRequest (HTTP-Redirect binding), and the
 * checks on the IdP's response (HTTP-POST binding) before a user is provisioned and a session starts.
 * node-saml verifies the signature, the InResponseTo against the shared request cache, the time
 * conditions and the audience; this service adds the algorithm, Recipient, Destination and Issuer
 * checks, then takes the request id (answered once; a refused post leaves it pending for the real
 * answer) and remembers each accepted assertion ID until it expires, so that no copy can be used twice.
 */
@Injectable()
export class SamlLoginService {
  readonly #logger = new Logger('Saml');

  constructor(
    private readonly providers: SamlProviders,
    private readonly users: SsoUsersService,
    private readonly sessions: SessionService,
    private readonly cache: SessionsRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly throttle: LoginThrottle,
  ) {}

  /**
   * The IdP URL carrying a new AuthnRequest; its id is stored so that only its answer is accepted.
   * With `bindToBrowser`, the request is also tied to the browser's own secret (the one it already
   * has, `browser`, else a new one), and only a response posted with that secret is accepted.
   */
  async authorizeUrl(providerId: string | undefined, returnTo: string | null, browser: string | null): Promise<SamlStarted> {
    const provider = this.providers.get(providerId);
    const relayState = returnTo && Buffer.byteLength(returnTo) <= MAX_RELAY_STATE ? returnTo : '';
    try {
      const url = await provider.saml.getAuthorizeUrlAsync(relayState, undefined, {});
      if (!provider.bindToBrowser) {
        return { url, browser: null };
      }
      const secret = browser ?? randomToken();
      await this.guard(() => this.cache.cacheSave(browserKey(provider, authnRequestId(url)), browserHash(secret), SAML_REQUEST_TTL_SECONDS));
      return { url, browser: secret };
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  /** This gateway's service-provider metadata for the provider, for the IdP administrator. */
  metadata(providerId: string | undefined): string {
    return this.providers.get(providerId).saml.generateServiceProviderMetadata(null, null);
  }

  /**
   * Checks the posted response; on success provisions the user, starts a session and audits
   * `auth.login`. Every refusal is audited as `auth.login_failed` with its reason and answers 401.
   * Each post counts against the address's sign-in budget before any signature is checked (429
   * once it is spent); a successful sign-in, or a post that failed on our side, gives it back.
   */
  async complete(providerId: string | undefined, form: SamlAcsForm, ctx: AccessContext, browser: string | null): Promise<SamlSignedIn> {
    const provider = this.providers.get(providerId);
    await this.throttle.attempt(ctx, 'sso');
    let identity: SsoIdentity;
    try {
      identity = await this.verify(provider, form, browser);
    } catch (err) {
      if (err instanceof SamlCacheError) {
        await this.throttle.forgive(ctx, 'sso').catch(() => undefined);
        throw this.unavailable(err);
      }
      const rejection = err instanceof SamlRejection ? err : fromLibrary(err);
      await this.audit.record(ctx, {
        type: 'auth.login_failed',
        outcome: 'failure',
        details: { method: provider.method, reason: rejection.reason.slice(0, 500) },
      });
      throw toDomainError(rejection, provider);
    }
    await this.throttle.forgive(ctx, 'sso');
    const user = await this.users.signIn(identity, ctx);
    const sessionId = await this.sessions.start(user, provider.method, 'full', ctx);
    await this.audit.record({ ...ctx, actor: userActor(user) }, { type: 'auth.login', details: { method: provider.method, subject: identity.subject, roles: user.roles } });
    return { user, sessionId };
  }

  private async verify(provider: SamlProvider, form: SamlAcsForm, browser: string | null): Promise<SsoIdentity> {
    const encoded = form.SAMLResponse;
    if (typeof encoded !== 'string' || encoded.length === 0) {
      throw new SamlRejection('invalid', 'the form carries no SAMLResponse');
    }
    const { profile } = await provider.saml.validatePostResponseAsync({ SAMLResponse: encoded });
    if (!profile) {
      throw new SamlRejection('invalid', 'the response carries no assertion (a logout or passive answer)');
    }
    const inResponseTo = profile.inResponseTo;
    if (typeof inResponseTo !== 'string') {
      throw new SamlRejection('unsolicited', 'the response answers no request of this gateway');
    }
    const responseXml = profile.getSamlResponseXml?.() ?? '';
    assertStrongSignatures(responseXml);
    const destination = responseDestination(responseXml);
    if (destination !== null && destination !== provider.acsUrl) {
      throw new SamlRejection('misdirected', `destination ${JSON.stringify(destination)} is not this gateway's ACS ${JSON.stringify(provider.acsUrl)}`);
    }
    const nowMs = this.clock.now().getTime();
    const assertion = checkAssertion(profile.getAssertion?.(), {
      acsUrl: provider.acsUrl,
      inResponseTo,
      ...(provider.idpIssuer ? { idpIssuer: provider.idpIssuer } : {}),
      nowMs,
      skewMs: provider.clockSkewMs,
    });
    if (assertion.nameId.length > MAX_NAME_ID) {
      throw new SamlRejection('unsupported', `the NameID is longer than ${MAX_NAME_ID} characters`);
    }
    if (provider.bindToBrowser) {
      const bound = await this.guard(() => this.cache.cacheGet(browserKey(provider, inResponseTo)));
      if (bound === null || browser === null || !safeEqual(bound, browserHash(browser))) {
        throw new SamlRejection('unsolicited', 'the response answers a sign-in started in another browser (or the browser lost its sign-in cookie)');
      }
    }
    if (!(await provider.requests.take(inResponseTo))) {
      throw new SamlRejection('replayed', `request ${JSON.stringify(inResponseTo)} was already answered`);
    }
    const ttlSeconds = Math.max(1, Math.ceil((assertion.acceptableUntilMs - nowMs) / 1000));
    const first = await this.guard(() => this.cache.cacheSave(`saml:assertion:${provider.id}:${assertion.id}`, inResponseTo, ttlSeconds));
    if (!first) {
      throw new SamlRejection('replayed', `assertion ${JSON.stringify(assertion.id)} was already used`);
    }
    return toIdentity(provider, profile, assertion.nameId);
  }

  private async guard<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw new SamlCacheError(`SAML assertion cache unavailable: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  private unavailable(err: unknown): Error {
    if (!(err instanceof SamlCacheError)) {
      return err instanceof Error ? err : new Error(String(err));
    }
    this.#logger.error({ msg: 'SAML sign-in cannot reach its cache', err: err.message });
    return new UnavailableError('saml_unavailable', 'Sign-in cannot be checked right now. Wait a minute and start again.');
  }
}

const browserKey = (provider: SamlProvider, requestId: string): string => `saml:browser:${provider.id}:${requestId}`;
const browserHash = (browser: string): string => hashToken(browser).toString('hex');

/** The ID of the AuthnRequest that node-saml just put in the redirect URL (deflated, base64). */
function authnRequestId(url: string): string {
  const encoded = new URL(url).searchParams.get('SAMLRequest');
  const xml = encoded ? inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8') : '';
  const id = /<(?:[\w-]+:)?AuthnRequest\b[^>]*?\sID="([^"]+)"/.exec(xml)?.[1];
  if (!id) {
    throw new Error('the AuthnRequest has no ID');
  }
  return id;
}

function strings(value: unknown): string[] {
  return ([] as unknown[])
    .concat(value ?? [])
    .filter((v): v is string => typeof v === 'string')
    .map((v) => v.trim())
    .filter(Boolean);
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

function toIdentity(provider: SamlProvider, profile: Profile, nameId: string): SsoIdentity {
  const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
  const email = [...strings(attributes[provider.emailAttribute]), ...strings(profile.email)].find((e) => EMAIL.test(e)) ?? null;
  const displayName = [...strings(attributes.displayName), ...strings(attributes['urn:oid:2.16.840.1.113730.3.1.241'])][0] ?? null;
  return {
    idp: provider.method,
    subject: nameId,
    username: nameId,
    email,
    displayName: displayName ? displayName.slice(0, 200) : null,
    groups: strings(attributes[provider.rolesAttribute]),
  };
}

/** node-saml reports failures as plain errors; their messages are the audit reason. */
function fromLibrary(err: unknown): SamlRejection {
  const reason = err instanceof Error ? err.message : String(err);
  if (err instanceof SamlStatusError) {
    return new SamlRejection('refused_by_idp', reason);
  }
  if (/InResponseTo/i.test(reason)) {
    return new SamlRejection('unsolicited', reason);
  }
  if (/expired|not yet valid/i.test(reason)) {
    return new SamlRejection('expired', reason);
  }
  if (/audience/i.test(reason)) {
    return new SamlRejection('misdirected', reason);
  }
  return new SamlRejection('invalid', reason);
}

function toDomainError(r: SamlRejection, provider: SamlProvider): UnauthenticatedError {
  const retry = 'Start the sign-in again from /auth/login.';
  switch (r.kind) {
    case 'expired':
      return new UnauthenticatedError('saml_response_expired', `The answer from ${provider.name} has expired or is not valid yet. ${retry} If this keeps happening, the clocks of the gateway and the identity provider disagree.`);
    case 'unsolicited':
    case 'replayed':
      return new UnauthenticatedError('saml_response_unsolicited', `This sign-in answer from ${provider.name} does not match a sign-in started here, or it was already used. ${retry}`);
    case 'refused_by_idp':
      return new UnauthenticatedError('saml_refused_by_idp', `${provider.name} did not sign you in. ${retry}`);
    case 'misdirected':
    case 'invalid':
    case 'unsupported':
      return new UnauthenticatedError('saml_response_rejected', `The answer from ${provider.name} could not be accepted. ${retry} If it keeps failing, tell your administrator the time of the attempt.`);
  }
}
