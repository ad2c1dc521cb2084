import { Injectable } from '@nestjs/common';
import { AppConfigService } from '@mft/config';
import { hmac, safeEqual } from '@mft/core';

/**
 * What a CSRF token is for. Each form or session kind has its own purpose, so a token taken from
 * one (say, a recipient page) is refused by every other (the staff session, the sign-in form).
 * - `login`: the sign-in forms, bound to the pre-session cookie;
 * - `staff-session`: every cookie-authenticated state change of a signed-in person, bound to the session;
 * - `recipient-page`: the forms of a recipient page (unlock, email verification), bound to the recipient session.
 */
export type CsrfPurpose = 'login' | 'staff-session' | 'recipient-page';

/**
 * The one CSRF scheme of the gateway: a token is the HMAC (under the server's secret key) of its
 * purpose and of what it is bound to (a session id or a pre-session cookie), so it needs no storage,
 * and a cross-site page can neither read nor compute it. Verification is constant-time.
 */
@Injectable()
export class CsrfTokens {
  constructor(private readonly config: AppConfigService) {}

  /** The token for `purpose` bound to `binding`; the same inputs always give the same token. */
  issue(purpose: CsrfPurpose, binding: string): string {
    return hmac(this.config.secretKey, `csrf:${purpose}:${binding}`);
  }

  /** Whether `token` was issued for this purpose and this binding; anything else (missing, not a string) is refused. */
  verify(purpose: CsrfPurpose, binding: string, token: unknown): boolean {
    return binding.length > 0 && typeof token === 'string' && token.length > 0 && safeEqual(token, this.issue(purpose, binding));
  }
}
