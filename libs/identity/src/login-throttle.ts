import { Injectable } from '@nestjs/common';
import type { AccessContext } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { RateLimitedError } from '@mft/core';
import { RateLimiter } from '@mft/db';

/** Which budget an attempt counts against. */
export type SignInKind = 'password' | 'sso';

/**
 * Sign-in attempts per client address, counted before the attempt is checked, so that a flood
 * costs no password hashing or signature verification. Two budgets: password guesses at the local
 * administrator (`rateLimits.loginPerIp`), and SSO responses posted to the SAML ACS
 * (`rateLimits.ssoPerIp`, larger: a whole office may sign in from one address, and the IdP has
 * already authenticated each person). SSO sign-ins that succeed give their attempt back, so only
 * failures use up that budget; the local administrator keeps every attempt counted.
 */
@Injectable()
export class LoginThrottle {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly config: AppConfigService,
  ) {}

  /** Counts one attempt; 429 with Retry-After once the address has used its budget. */
  async attempt(ctx: AccessContext, kind: SignInKind): Promise<void> {
    const rule = kind === 'password' ? this.config.rateLimits.loginPerIp : this.config.rateLimits.ssoPerIp;
    const d = await this.limiter.hit(key(ctx, kind), rule.max, rule.windowSeconds);
    if (!d.allowed) {
      throw new RateLimitedError('too_many_attempts', 'Too many sign-in attempts from your address. Wait and try again.', d.retryAfterSeconds);
    }
  }

  /** Takes back the attempt of a sign-in that succeeded, or that failed for reasons not the client's. */
  async forgive(ctx: AccessContext, kind: SignInKind): Promise<void> {
    await this.limiter.giveBack(key(ctx, kind));
  }
}

const key = (ctx: AccessContext, kind: SignInKind): string => `${kind === 'password' ? 'login' : 'sso'}:ip:${ctx.ip ?? 'unknown'}`;
