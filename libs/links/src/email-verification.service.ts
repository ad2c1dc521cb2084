import { randomInt } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { AuditService, RefusalAuditService } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { Clock, DomainError, hmac, InvalidInputError, randomToken, RateLimitedError, safeEqual, UnauthenticatedError } from '@mft/core';
import { Database, RateLimiter } from '@mft/db';
import { LinkNotices } from './link-notices.js';
import { EmailChallengeRepository } from './repositories/email-challenge.repository.js';
import { RecipientSessionRepository } from './repositories/recipient-session.repository.js';
import { RecipientAccessService, sessionHash, type RecipientRequest, type ResolvedGrant } from './recipient-access.service.js';

const emailSchema = z.email().max(320);

class EmailVerificationLockedError extends DomainError {
  constructor() {
    super(
      'rate_limited',
      'email_verification_locked',
      'Too many wrong codes were entered, so this link is locked in this browser. Ask the sender to send you the link again.',
    );
  }
}

type Outcome = { ok: true; email: string } | { ok: false; reason: 'wrong' | 'expired' | 'used'; left: number } | { ok: false; reason: 'locked' };

/**
 * Email-verified recipients. The recipient types an email; when it may open the grant (the grant's
 * recipient, or any address on a link sent to nobody in particular) a 6-digit code is mailed. The
 * answer, the work done and the audit trail are the same whether or not the address is allowed:
 * a code is always issued and a message always queued, but for an address that is not allowed the
 * code is random bytes nobody knows and the message is never sent. A code is valid for a short time,
 * once, for the browser session and grant it was issued to; wrong codes lock the grant for that
 * session after a few attempts, and code requests are limited per session, grant and IP.
 */
@Injectable()
export class EmailVerificationService {
  constructor(
    private readonly refusals: RefusalAuditService,
    private readonly db: Database,
    private readonly sessions: RecipientSessionRepository,
    private readonly challenges: EmailChallengeRepository,
    private readonly access: RecipientAccessService,
    private readonly notices: LinkNotices,
    private readonly audit: AuditService,
    private readonly limiter: RateLimiter,
    private readonly config: AppConfigService,
    private readonly clock: Clock,
  ) {}

  /** Issues and mails a code when `email` may open the grant; answers the same either way. */
  async requestCode(req: RecipientRequest, rawEmail: unknown): Promise<void> {
    const r = await this.verifiable(req);
    const parsed = emailSchema.safeParse(typeof rawEmail === 'string' ? rawEmail.trim() : rawEmail);
    if (!parsed.success) {
      throw new InvalidInputError('email_invalid', 'Enter a valid email address, such as name@example.com.');
    }
    const email = parsed.data.toLowerCase();
    const session = sessionHash(req.session);
    if ((await this.challenges.challengeOf(r.grant.id, session))?.lockedAt) {
      throw new EmailVerificationLockedError();
    }
    await this.limit(r, session);
    const allowed = r.grant.recipient === null || r.grant.recipient.toLowerCase() === email;
    const code = randomInt(0, 1_000_000).toString().padStart(6, '0');
    const now = this.clock.now();
    const ttl = this.config.emailVerification.codeTtlSeconds;
    await this.db.transaction(async () => {
      await this.challenges.issueChallenge({
        grantId: r.grant.id,
        sessionHash: session,
        email,
        allowed,
        codeHash: this.codeHash(r.grant.id, allowed ? code : randomToken(16)),
        issuedAt: now,
        expiresAt: new Date(now.getTime() + ttl * 1000),
      });
      await this.notices.verificationCode({ link: r.link, grant: r.grant, email, code, minutes: Math.round(ttl / 60), suppressed: !allowed });
      await this.audit.record(r.req.ctx, {
        type: 'email.code_requested',
        linkId: r.link.id,
        grantId: r.grant.id,
        details: { email, allowed },
      });
    });
  }

  /**
   * Checks a code. On success the browser session moves to a new id (returned, for the cookie) that
   * carries the verified email and everything the old id had; the old id keeps nothing.
   */
  async verifyCode(req: RecipientRequest, rawCode: unknown): Promise<{ email: string; session: string }> {
    const r = await this.verifiable(req);
    const code = typeof rawCode === 'string' || typeof rawCode === 'number' ? String(rawCode).replace(/\s+/g, '') : '';
    const session = sessionHash(req.session);
    const next = randomToken(32);
    const outcome = await this.db.transaction(async (): Promise<Outcome | null> => {
      const challenge = await this.challenges.lockChallenge(r.grant.id, session);
      if (!challenge) {
        return null;
      }
      if (challenge.lockedAt) {
        return { ok: false, reason: 'locked' };
      }
      const now = this.clock.now();
      // Expiry and reuse are looked at only once the code matches: a code for an address that is not
      // allowed never matches, so no answer tells the two apart.
      const matches = /^\d{6}$/.test(code) && safeEqual(this.codeHash(r.grant.id, code), challenge.codeHash);
      const reason = !matches ? 'wrong' : challenge.usedAt ? 'used' : now >= challenge.expiresAt ? 'expired' : null;
      if (reason === null) {
        await this.challenges.useChallenge(r.grant.id, session, now);
        await this.sessions.rotateSession(session, sessionHash(next));
        await this.sessions.markVerified(sessionHash(next), r.grant.id, challenge.email);
        const ctx = { ...r.req.ctx, actor: `recipient:${challenge.email}` };
        await this.audit.record(ctx, { type: 'email.verified', linkId: r.link.id, grantId: r.grant.id, details: { email: challenge.email } });
        return { ok: true, email: challenge.email };
      }
      const max = this.config.emailVerification.maxAttempts;
      const failures = await this.challenges.recordChallengeFailure(r.grant.id, session, challenge.failures + 1 >= max ? now : null);
      await this.audit.record(r.req.ctx, {
        type: failures >= max ? 'email.locked' : 'email.verify_failed',
        outcome: failures >= max ? 'denied' : 'failure',
        linkId: r.link.id,
        grantId: r.grant.id,
        details: { email: challenge.email, reason, failures },
      });
      return failures >= max ? { ok: false, reason: 'locked' } : { ok: false, reason, left: max - failures };
    });
    if (outcome === null) {
      throw new UnauthenticatedError('email_code_not_requested', 'Ask for a code first: enter your email address on the link page.', { locked: ['email'] });
    }
    if (outcome.ok) {
      return { email: outcome.email, session: next };
    }
    if (outcome.reason === 'locked') {
      throw new EmailVerificationLockedError();
    }
    const left = `${outcome.left} attempt${outcome.left === 1 ? '' : 's'} left`;
    const message = {
      wrong: `That code is not right. Check the latest email we sent and try again (${left}).`,
      expired: `That code has expired. Ask for a new code (${left}).`,
      used: `That code has already been used. Ask for a new code (${left}).`,
    }[outcome.reason];
    throw new UnauthenticatedError(`email_code_${outcome.reason === 'wrong' ? 'incorrect' : outcome.reason}`, message, {
      locked: ['email'],
      attemptsLeft: outcome.left,
    });
  }

  /** The grant of a request, which must ask for email verification. */
  private async verifiable(req: RecipientRequest): Promise<ResolvedGrant> {
    const r = await this.access.resolve(req);
    if (!r.link.requireEmailVerification) {
      throw new InvalidInputError('email_verification_not_required', 'This link does not ask for an email address; open it directly.');
    }
    return r;
  }

  /** Code requests count per session, per grant and per IP, whatever the address. */
  private async limit(r: ResolvedGrant, session: string): Promise<void> {
    const rules = this.config.emailVerification;
    const checks = [
      await this.limiter.hit(`emailcode:session:${r.grant.id}:${session}`, rules.sendsPerSession.max, rules.sendsPerSession.windowSeconds),
      await this.limiter.hit(`emailcode:grant:${r.grant.id}`, rules.sendsPerGrant.max, rules.sendsPerGrant.windowSeconds),
      await this.limiter.hit(`emailcode:ip:${r.req.ctx.ip ?? 'unknown'}`, rules.sendsPerIp.max, rules.sendsPerIp.windowSeconds),
    ];
    const refused = checks.filter((c) => !c.allowed);
    if (refused.length > 0) {
      const retry = Math.max(...refused.map((c) => c.retryAfterSeconds));
      await this.refusals.record(r.req.ctx, { type: 'email.code_rate_limited', outcome: 'denied', linkId: r.link.id, grantId: r.grant.id });
      throw new RateLimitedError('too_many_codes', `Too many codes were asked for. Wait ${Math.ceil(retry / 60)} minute${retry > 60 ? 's' : ''} and try again.`, retry);
    }
  }

  /** The challenge row is the session's own, so the hash need not name the session (which moves at a password unlock). */
  private codeHash(grantId: string, code: string): string {
    return hmac(this.config.secretKey, `email-code:${grantId}:${code}`);
  }
}
