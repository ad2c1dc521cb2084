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
    protected readonly limiter: RateLimiter,
    protected readonly config: AppConfigService,
  ) {}

  /** Counts one attempt; 429 with Retry-After once the address has used its budget. */
  async attempt(ctx: AccessContext, kind: SignInKind): Promise<void> {
    const rule = kind === 'password' ? this.config.rateLimits.loginPerIp : this.config.rateLimits.ssoPerIp;
    const d = await this.limiter.hit(key(ctx, kind), rule.max, rule.windowSeconds);
    if (!d.allowed) {
      throw new RateLimitedError('too_many_attempts', 'Too many sign-in attempts from your address. Wait and try again.', d.retryAfterSeconds);
    }
  }

  /**
   * Counts one sign-in attempt with a secret (an SFTP password or key signature) against the
   * address's password budget and the user name's (`rateLimits.loginPerUser`); 429 once either is used up.
   */
  async attemptAs(ctx: AccessContext, username: string): Promise<void> {
    await this.attempt(ctx, 'password');
    const rule = this.config.rateLimits.loginPerUser;
    const d = await this.limiter.hit(userKey(username), rule.max, rule.windowSeconds);
    if (!d.allowed) {
      throw new RateLimitedError('too_many_attempts', 'Too many failed sign-ins for this user. Wait and try again.', d.retryAfterSeconds);
    }
  }

  /** Takes back an `attemptAs` that succeeded. */
  async forgiveAs(ctx: AccessContext, username: string): Promise<void> {
    await this.forgive(ctx, 'password');
    await this.limiter.giveBack(userKey(username));
  }

  /** Whether the address or the user name has used up its budget: then nothing of theirs is checked at all. */
  async lockedOut(ctx: AccessContext, username: string | null): Promise<boolean> {
    const ip = this.config.rateLimits.loginPerIp;
    if ((await this.limiter.peek(key(ctx, 'password'), ip.windowSeconds)) >= ip.max) {
      return true;
    }
    const user = this.config.rateLimits.loginPerUser;
    return username !== null && (await this.limiter.peek(userKey(username), user.windowSeconds)) >= user.max;
  }

  /** Takes back the attempt of a sign-in that succeeded, or that failed for reasons not the client's. */
  async forgive(ctx: AccessContext, kind: SignInKind): Promise<void> {
    await this.limiter.giveBack(key(ctx, kind));
  }
}

const userKey = (username: string): string => `login:user:${username.toLowerCase()}`;
const key = (ctx: AccessContext, kind: SignInKind): string => `${kind === 'password' ? 'login' : 'sso'}:ip:${ctx.ip ?? 'unknown'}`;
