import { Injectable } from '@nestjs/common';
import { RefusalAuditService, type AccessContext } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { RateLimitedError } from '@mft/core';
import { RateLimiter } from '@mft/db';
import { LoginThrottle, type SignInKind } from './login-throttle.js';

/** The sign-in budget of LoginThrottle, with each address that hits it audited as `auth.locked_out` (bounded per window). */
@Injectable()
export class AuditedLoginThrottle extends LoginThrottle {
  constructor(
    limiter: RateLimiter,
    config: AppConfigService,
    private readonly refusals: RefusalAuditService,
  ) {
    super(limiter, config);
  }

  override async attempt(ctx: AccessContext, kind: SignInKind): Promise<void> {
    try {
      await super.attempt(ctx, kind);
    } catch (err) {
      if (err instanceof RateLimitedError) {
        await this.refusals.record(ctx, {
          type: 'auth.locked_out',
          details: { limit: kind === 'password' ? 'loginPerIp' : 'ssoPerIp', retryAfterSeconds: err.retryAfterSeconds },
        });
      }
      throw err;
    }
  }
}
