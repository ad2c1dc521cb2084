import { Injectable, Logger } from '@nestjs/common';
import { AppConfigService } from '@mft/config';
import { Clock } from '@mft/core';
import { RateLimiter } from '@mft/db';
import type { AccessContext, AuditEventInput } from './audit-event.js';
import { AuditService } from './audit.service.js';

/**
 * Audits refused requests (bad tokens, forbidden routes, CSRF failures, unknown or foreign links,
 * lockouts) without letting a flood fill the log: per event type and client address, at most
 * `rateLimits.refusalAuditPerIp.max` events per window are kept, then one `audit.suppressed` event
 * says that more were refused and until when; nothing more is written until the window ends. The
 * counters live in PostgreSQL (RateLimiter), so the bound holds across replicas.
 *
 * Call it outside any transaction the refusal rolls back (before throwing): the event must outlive
 * the failed request.
 */
@Injectable()
export class RefusalAuditService {
  readonly #logger = new Logger('Audit');

  constructor(
    private readonly audit: AuditService,
    private readonly limiter: RateLimiter,
    private readonly config: AppConfigService,
    private readonly clock: Clock,
  ) {}

  async record(ctx: AccessContext, input: AuditEventInput): Promise<void> {
    const rule = this.config.rateLimits.refusalAuditPerIp;
    try {
      const d = await this.limiter.hit(`audit:${input.type}:ip:${ctx.ip ?? 'unknown'}`, rule.max, rule.windowSeconds);
      if (d.hits <= rule.max) {
        await this.audit.record(ctx, { ...input, outcome: input.outcome ?? 'denied' });
      } else if (d.hits === rule.max + 1) {
        await this.audit.record(ctx, {
          type: 'audit.suppressed',
          outcome: 'denied',
          details: {
            suppressedType: input.type,
            max: rule.max,
            windowSeconds: rule.windowSeconds,
            until: new Date(this.clock.now().getTime() + d.retryAfterSeconds * 1000).toISOString(),
          },
        });
      }
    } catch (err) {
      // The refusal itself still stands; losing its record must not turn it into a 500.
      this.#logger.error({ msg: 'refusal not audited', type: input.type, ip: ctx.ip, err: err instanceof Error ? err.message : String(err) });
    }
  }
}
