import { UnauthenticatedError } from '@mft/core';
import type { SsoIdentity } from '../sso-users.service.js';

/** The claims of a verified ID token, completed by the UserInfo response. */
export type OidcClaims = Readonly<Record<string, unknown>>;

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);

/**
 * The value of `claim`: a top-level claim of that exact name first (URIs such as
 * `https://example.com/groups` contain dots), else a dotted path into nested objects
 * (Keycloak's `realm_access.roles`).
 */
function claimAt(claims: OidcClaims, claim: string): unknown {
  if (claim in claims) {
    return claims[claim];
  }
  let node: unknown = claims;
  for (const part of claim.split('.')) {
    if (!node || typeof node !== 'object' || Array.isArray(node)) {
      return undefined;
    }
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Group names from the roles claim: a list of strings, or a single string (one group). */
export function groupsOf(claims: OidcClaims, rolesClaim: string): string[] {
  const value = claimAt(claims, rolesClaim);
  if (Array.isArray(value)) {
    return value.map(text).filter((g): g is string => g !== null);
  }
  const single = text(value);
  return single ? [single] : [];
}

/**
 * The warning to log when the ID token and UserInfo carry no `rolesClaim` at all (null when they
 * do): the user then gets `auth.defaultRoles`, which is right for someone in no group but wrong
 * for a provider that only sends groups when asked for them in the requested scopes.
 */
export function missingRolesClaimWarning(providerId: string, rolesClaim: string, scopes: string, claims: OidcClaims): string | null {
  if (claimAt(claims, rolesClaim) !== undefined) {
    return null;
  }
  return (
    `OIDC provider "${providerId}" sent no "${rolesClaim}" claim (OIDC_ROLES_CLAIM) in the ID token or UserInfo, so the user gets the default roles. ` +
    `Many providers send groups only when a scope asks for them: check OIDC_SCOPES (now "${scopes}") and the provider's claim mapping.`
  );
}

/**
 * What the provider said about the person: user name from `preferred_username`, else `email`,
 * else `sub`; e-mail from `email`; display name from `name`; groups from the configured claim.
 */
export function identityFromClaims(providerId: string, rolesClaim: string, claims: OidcClaims): SsoIdentity {
  const subject = text(claims.sub);
  if (!subject) {
    // openid-client already insists on `sub`; this keeps the type honest.
    throw new UnauthenticatedError('oidc_response_invalid', 'The identity provider did not say who you are. Start again from the sign-in page.');
  }
  const email = text(claims.email);
  return {
    idp: `oidc:${providerId}`,
    subject,
    username: text(claims.preferred_username) ?? email ?? subject,
    email,
    displayName: text(claims.name),
    groups: groupsOf(claims, rolesClaim),
  };
}
