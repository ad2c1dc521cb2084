import { Injectable } from '@nestjs/common';
import type { AccessContext } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { RateLimitedError } from '@mft/core';
import { RateLimiter } from '@mft/db';

/**
 * One budget of sign-in attempts per client address (`rateLimits.loginPerIp`), shared by every
 * way of signing in (local password, SAML ACS). Counted before the attempt is checked, so that a
 * flood costs no password hashing or signature verification. SSO sign-ins that succeed give their
 * attempt back, so that an office behind one address is not locked out by its own colleagues; the
 * local administrator keeps every attempt counted.
 */
@Injectable()
export class LoginThrottle {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly config: AppConfigService,
  ) {}

  /** Counts one attempt; 429 with Retry-After once the address has used its budget. */
  async attempt(ctx: AccessContext): Promise<void> {
    const rule = this.config.rateLimits.loginPerIp;
    const d = await this.limiter.hit(key(ctx), rule.max, rule.windowSeconds);
    if (!d.allowed) {
      throw new RateLimitedError('too_many_attempts', 'Too many sign-in attempts from your address. Wait and try again.', d.retryAfterSeconds);
    }
  }

  /** Takes back the attempt of a sign-in that succeeded, or that failed for reasons not the client's. */
  async forgive(ctx: AccessContext): Promise<void> {
    await this.limiter.giveBack(key(ctx));
  }
}

const key = (ctx: AccessContext): string => `login:ip:${ctx.ip ?? 'unknown'}`;
