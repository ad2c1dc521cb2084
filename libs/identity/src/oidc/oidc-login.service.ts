import { Injectable, Logger } from '@nestjs/common';
import { AuditService, type AccessContext } from '@mft/audit';
import { hashToken, isDomainError, randomToken, safeEqual, UnauthenticatedError } from '@mft/core';
import { Database } from '@mft/db';
import { SessionService } from '../session.service.js';
import { SessionsRepository } from '../sessions.repository.js';
import { SsoUsersService } from '../sso-users.service.js';
import { userActor } from '../user.js';
import { errorSummary, OidcIdpClient, type OidcProvider } from './oidc-idp.client.js';
import { identityFromClaims, missingRolesClaimWarning } from './oidc-identity.js';

/** How long a browser has to come back from the provider. */
export const OIDC_FLOW_TTL_SECONDS = 600;

const FLOW_KIND = 'oidc';
const START_AGAIN = 'Start again from the sign-in page';

/** A started sign-in: where to send the browser, and the round-trip id to bind to it (a cookie). */
export interface OidcStarted {
  readonly redirectUrl: string;
  readonly flowId: string;
}

/** The provider's answer as the browser brought it back. */
export interface OidcCallbackCommand {
  /** The provider id from the route; undefined for the first provider. */
  readonly providerId: string | undefined;
  /** The round-trip id from the browser's cookie. */
  readonly flowId: string | undefined;
  /** The callback's raw query string (code, state, iss, or error). */
  readonly query: string;
}

/** A finished sign-in: the new session id (the cookie value) and where to go next. */
export interface OidcSignedIn {
  readonly sessionId: string;
  readonly returnTo: string;
}

const flowHash = (flowId: string): string => hashToken(flowId).toString('hex');

/**
 * OpenID Connect sign-in (authorization code flow with PKCE). Each round trip is stored server-side
 * (state, nonce, PKCE verifier) under the hash of a random id the browser carries in a cookie, and
 * taken out exactly once: a replayed, forged or foreign callback finds nothing to complete. Users
 * are provisioned just in time and their roles recomputed from the provider's groups every time.
 */
@Injectable()
export class OidcLoginService {
  readonly #logger = new Logger('Oidc');

  constructor(
    private readonly db: Database,
    private readonly idp: OidcIdpClient,
    private readonly flows: SessionsRepository,
    private readonly users: SsoUsersService,
    private readonly sessions: SessionService,
    private readonly audit: AuditService,
  ) {}

  /** Starts a round trip to the provider; `returnTo` must already be a safe same-site path. */
  async begin(providerId: string | undefined, returnTo: string, ctx: AccessContext): Promise<OidcStarted> {
    const provider = this.idp.provider(providerId);
    try {
      const request = await this.idp.authorizationRequest(provider);
      const flowId = randomToken(32);
      await this.flows.insertFlow({
        idHash: flowHash(flowId),
        kind: FLOW_KIND,
        provider: provider.settings.id,
        state: request.state,
        nonce: request.nonce,
        codeVerifier: request.codeVerifier,
        returnTo,
        ttlSeconds: OIDC_FLOW_TTL_SECONDS,
      });
      return { redirectUrl: request.url, flowId };
    } catch (err) {
      await this.failed(provider, err, ctx);
      throw err;
    }
  }

  /** Completes the round trip the browser's cookie names, or refuses it (401, audited). */
  async complete(cmd: OidcCallbackCommand, ctx: AccessContext): Promise<OidcSignedIn> {
    const provider = this.idp.provider(cmd.providerId);
    try {
      const flow = cmd.flowId ? await this.flows.takeFlow(flowHash(cmd.flowId), FLOW_KIND) : null;
      if (!flow || !flow.state || !flow.nonce || !flow.codeVerifier) {
        throw new UnauthenticatedError(
          'oidc_flow_expired',
          `This sign-in has expired, was already completed, or was started in another browser. ${START_AGAIN}.`,
        );
      }
      if (flow.provider !== provider.settings.id) {
        throw new UnauthenticatedError('oidc_provider_mismatch', `This answer came back to another provider's address than the one you chose. ${START_AGAIN}.`);
      }
      // openid-client checks it too; checking first names the failure precisely in the audit log.
      if (!safeEqual(new URLSearchParams(cmd.query).get('state') ?? '', flow.state)) {
        throw new UnauthenticatedError('oidc_state_mismatch', `This answer does not belong to the sign-in started in this browser. ${START_AGAIN}.`);
      }
      const claims = await this.idp.exchange(provider, cmd.query, { state: flow.state, nonce: flow.nonce, codeVerifier: flow.codeVerifier });
      const identity = identityFromClaims(provider.settings.id, provider.settings.rolesClaim, claims);
      const missingRoles = missingRolesClaimWarning(provider.settings.id, provider.settings.rolesClaim, provider.settings.scopes, claims);
      if (missingRoles) {
        this.#logger.warn({ msg: missingRoles, provider: provider.settings.id, claim: provider.settings.rolesClaim, scopes: provider.settings.scopes });
      }
      const method = `oidc:${provider.settings.id}`;
      return await this.db.transaction(async () => {
        const user = await this.users.signIn(identity, ctx);
        const sessionId = await this.sessions.start(user, method, 'full', ctx);
        await this.audit.record({ ...ctx, actor: userActor(user) }, { type: 'auth.login', details: { method, username: user.username, subject: identity.subject, roles: user.roles } });
        return { sessionId, returnTo: flow.returnTo ?? '/app' };
      });
    } catch (err) {
      await this.failed(provider, err, ctx);
      throw err;
    }
  }

  private async failed(provider: OidcProvider, err: unknown, ctx: AccessContext): Promise<void> {
    const reason = isDomainError(err) ? err.code : 'internal_error';
    const detail = isDomainError(err) ? (err.cause === undefined ? undefined : errorSummary(err.cause)) : errorSummary(err);
    this.#logger.warn({ msg: 'OIDC sign-in failed', provider: provider.settings.id, reason, detail });
    // The person still gets the page for the original failure if the audit write fails too.
    await this.audit
      .record(ctx, {
        type: 'auth.login_failed',
        outcome: 'failure',
        details: { method: `oidc:${provider.settings.id}`, reason, ...(detail ? { detail } : {}) },
      })
      .catch((auditErr: unknown) => this.#logger.error({ msg: 'cannot record auth.login_failed', reason, error: errorSummary(auditErr) }));
  }
}
