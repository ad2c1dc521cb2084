import { Injectable, Logger } from '@nestjs/common';
import * as oidc from 'openid-client';
import { AppConfigService, type AppConfig } from '@mft/config';
import { DomainError, NotFoundError, UnauthenticatedError, UnavailableError } from '@mft/core';
import type { OidcClaims } from './oidc-identity.js';

/** One configured OpenID provider and the redirect URI registered for the gateway there. */
export interface OidcProvider {
  readonly settings: AppConfig['auth']['oidc'][number];
  readonly redirectUri: string;
}

/** A fresh authorization request: the URL to send the browser to and the secrets to check its answer. */
export interface AuthorizationRequest {
  readonly url: string;
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

/** What the answer of one authorization request must match. */
export interface AuthorizationChecks {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

const REQUEST_TIMEOUT_SECONDS = 10;

const UNAVAILABLE_MESSAGE =
  'Single sign-on is not available right now: the gateway cannot reach the identity provider. Try again in a few minutes; if it persists, tell your administrator.';
const START_AGAIN = 'Start again from the sign-in page';

/**
 * Talks to the configured OpenID providers with openid-client: discovery (lazily, at first use, so
 * the gateway starts while a provider is down; a failure is not remembered), authorization requests
 * with PKCE S256, state and nonce, and the code exchange with every check. Library errors become
 * domain errors here, at the edge of the library.
 */
@Injectable()
export class OidcIdpClient {
  readonly #logger = new Logger('Oidc');
  readonly #configurations = new Map<string, Promise<oidc.Configuration>>();

  constructor(private readonly config: AppConfigService) {}

  /** The provider with `id`, or the first configured one when `id` is undefined. */
  provider(id: string | undefined): OidcProvider {
    const list = this.config.values.auth.oidc;
    const index = id === undefined ? 0 : list.findIndex((p) => p.id === id);
    const settings = list[index];
    if (!settings) {
      throw new NotFoundError('oidc_provider_unknown', 'This single sign-on provider is not configured. Choose one on the sign-in page at /auth/login.');
    }
    const path = index === 0 ? '/auth/oidc/callback' : `/auth/oidc/${settings.id}/callback`;
    return { settings, redirectUri: `${this.config.publicUrl}${path}` };
  }

  async authorizationRequest(provider: OidcProvider): Promise<AuthorizationRequest> {
    const configuration = await this.configuration(provider);
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: provider.redirectUri,
      scope: provider.settings.scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state, nonce, codeVerifier };
  }

  /**
   * Checks the authorization response (`query` of the callback: state, issuer, error), exchanges
   * the code with the PKCE verifier, verifies the ID token (signature, issuer, audience, expiry,
   * nonce) and returns its claims completed by the UserInfo response.
   */
  async exchange(provider: OidcProvider, query: string, checks: AuthorizationChecks): Promise<OidcClaims> {
    const configuration = await this.configuration(provider);
    // The redirect URI as registered (public URL), not as this request reached us behind a proxy.
    const currentUrl = new URL(provider.redirectUri);
    currentUrl.search = query;
    try {
      const tokens = await oidc.authorizationCodeGrant(configuration, currentUrl, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
      const idClaims = tokens.claims();
      if (!idClaims) {
        throw new UnauthenticatedError('oidc_response_invalid', `The identity provider sent no ID token. ${START_AGAIN}.`);
      }
      // Conformant providers put profile claims (e-mail, name, often groups) only in UserInfo.
      const userInfo = configuration.serverMetadata().userinfo_endpoint ? await oidc.fetchUserInfo(configuration, tokens.access_token, idClaims.sub) : {};
      return { ...userInfo, ...idClaims };
    } catch (err) {
      throw refusal(err);
    }
  }

  private configuration(provider: OidcProvider): Promise<oidc.Configuration> {
    const id = provider.settings.id;
    let pending = this.#configurations.get(id);
    if (!pending) {
      pending = this.discover(provider);
      this.#configurations.set(id, pending);
      const forget = (): void => {
        if (this.#configurations.get(id) === pending) {
          this.#configurations.delete(id);
        }
      };
      void pending.catch(forget);
    }
    return pending;
  }

  private async discover(provider: OidcProvider): Promise<oidc.Configuration> {
    const { id, issuer, clientId, clientSecret, allowInsecureHttp } = provider.settings;
    // Plain HTTP only where the operator allowed it for this provider (a test or lab IdP).
    const execute = allowInsecureHttp ? [oidc.allowInsecureRequests] : [];
    try {
      let configuration = await oidc.discovery(new URL(issuer), clientId, { client_secret: clientSecret }, oidc.ClientSecretBasic(clientSecret), {
        execute,
        timeout: REQUEST_TIMEOUT_SECONDS,
      });
      // client_secret_basic is the default of the specification; some providers only take the secret in the body.
      const methods = configuration.serverMetadata().token_endpoint_auth_methods_supported;
      if (methods && !methods.includes('client_secret_basic') && methods.includes('client_secret_post')) {
        configuration = new oidc.Configuration(configuration.serverMetadata(), clientId, { client_secret: clientSecret }, oidc.ClientSecretPost(clientSecret));
        execute.forEach((fn) => fn(configuration));
      }
      configuration.timeout = REQUEST_TIMEOUT_SECONDS;
      this.#logger.log({ msg: 'OIDC provider discovered', provider: id, issuer });
      return configuration;
    } catch (err) {
      this.#logger.warn({ msg: 'OIDC discovery failed', provider: id, issuer, error: errorSummary(err) });
      throw withCause(new UnavailableError('oidc_unavailable', UNAVAILABLE_MESSAGE), err);
    }
  }
}

/**
 * A short, log-safe description of a library error for administrators: its message, the OAuth
 * error the provider sent (`invalid_grant: ...`), the HTTP status of an unexpected response.
 */
export function errorSummary(err: unknown): string {
  if (!(err instanceof Error)) {
    return String(err);
  }
  const parts = [err.message];
  if (err instanceof oidc.ResponseBodyError || err instanceof oidc.AuthorizationResponseError) {
    parts.push(err.error_description ? `${err.error}: ${err.error_description}` : err.error);
  }
  if (err.cause instanceof Response) {
    parts.push(`HTTP ${err.cause.status} from ${err.cause.url}`);
  } else if (err.cause instanceof Error) {
    parts.push(err.cause.message);
  }
  return parts.join(': ').slice(0, 500);
}

function withCause<T extends DomainError>(error: T, cause: unknown): T {
  error.cause = cause;
  return error;
}

const SERVER_TROUBLE = new Set(['OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_RESPONSE_IS_NOT_JSON', 'OAUTH_HTTP_REQUEST_FORBIDDEN']);

/**
 * Classifies an openid-client failure: the provider refused, the answer failed a check, or the
 * provider is unreachable. Anything else is a bug and stays as it is (a 500 with a reference).
 */
function refusal(err: unknown): unknown {
  if (err instanceof DomainError) {
    return err;
  }
  if (err instanceof oidc.AuthorizationResponseError) {
    const said = /^[a-z_]{1,64}$/.test(err.error) ? ` (${err.error})` : '';
    return withCause(new UnauthenticatedError('oidc_idp_refused', `The identity provider did not sign you in${said}. ${START_AGAIN}, or ask your administrator for access.`), err);
  }
  if (err instanceof oidc.ResponseBodyError && err.error === 'invalid_grant') {
    return withCause(new UnauthenticatedError('oidc_code_rejected', `This sign-in response was already used or has expired. ${START_AGAIN}.`), err);
  }
  if (err instanceof oidc.ResponseBodyError || err instanceof oidc.WWWAuthenticateChallengeError) {
    return withCause(
      new UnauthenticatedError('oidc_token_refused', `The identity provider refused to complete the sign-in. ${START_AGAIN}; if it keeps failing, tell your administrator.`),
      err,
    );
  }
  if (err instanceof oidc.ClientError) {
    if (err.code && SERVER_TROUBLE.has(err.code)) {
      return withCause(new UnavailableError('oidc_unavailable', UNAVAILABLE_MESSAGE), err);
    }
    return withCause(
      new UnauthenticatedError('oidc_response_invalid', `The identity provider's answer failed the security checks, so you were not signed in. ${START_AGAIN}.`),
      err,
    );
  }
  // fetch() reports an unreachable host as a TypeError without a code; a timeout as a TimeoutError.
  const network = (err instanceof TypeError && !('code' in err)) || (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'));
  if (network) {
    return withCause(new UnavailableError('oidc_unavailable', UNAVAILABLE_MESSAGE), err);
  }
  return err;
}
