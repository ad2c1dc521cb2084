import { Injectable } from '@nestjs/common';
import { AuditService, RefusalAuditService, type AccessContext } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { Clock, hashToken, NotFoundError, randomToken, RateLimitedError, UnauthenticatedError } from '@mft/core';
import { Database, RateLimiter } from '@mft/db';
import { GrantRules, type Grant, type Link, type LinkFile, type Lock } from './link.js';
import { EmailChallengeRepository } from './repositories/email-challenge.repository.js';
import { GrantRepository } from './repositories/grant.repository.js';
import { LinkRepository } from './repositories/link.repository.js';
import { RecipientSessionRepository } from './repositories/recipient-session.repository.js';
import { PasswordHasher } from '@mft/identity';

/** One recipient request: the grant token from the URL, the browser session, who and where. */
export interface RecipientRequest {
  readonly token: string;
  /** The raw recipient-session id from the cookie (a fresh one when the client sent none). */
  readonly session: string;
  readonly ctx: AccessContext;
  /** A password sent by a script (`X-Link-Password`), checked like the form. */
  readonly password?: string | null;
}

/** A grant that the request may use: live and unlocked. */
export interface GrantAccess {
  readonly link: Link;
  readonly grant: Grant;
  readonly files: readonly LinkFile[];
  /** The request with its audit context (naming the verified email, once there is one). */
  readonly req: RecipientRequest;
}

/** A live grant, what the browser session has proved for it, and the request's audit context. */
export interface ResolvedGrant {
  readonly link: Link;
  readonly grant: Grant;
  readonly req: RecipientRequest;
  readonly unlocked: boolean;
  readonly verifiedEmail: string | null;
}

/** What the landing page shows; `locked` lists what must still be provided before files are listed. */
export interface LandingView {
  readonly link: Link;
  readonly grant: Grant;
  readonly expiresAt: string | null;
  readonly locked: readonly Lock[];
  readonly verifiedEmail: string | null;
  /** Where the session is in email verification: asked for an address, sent a code, or locked out. */
  readonly emailStep: 'ask' | 'code' | 'locked' | null;
  /** The address the session asked a code for (shown back whether or not a code was really sent). */
  readonly codeSentTo: string | null;
  readonly files: readonly LinkFile[];
  readonly remainingDownloads: number | null;
}

export const sessionHash = (session: string): string => hashToken(session).toString('hex');

/**
 * What a recipient can do with a grant token before any byte: find it, open its page, unlock it.
 * Views never consume; downloads (claims, delivery, consumption) are `RecipientDownloads`.
 */
@Injectable()
export class RecipientAccessService {
  constructor(
    private readonly db: Database,
    private readonly links: LinkRepository,
    private readonly grants: GrantRepository,
    private readonly sessions: RecipientSessionRepository,
    private readonly challenges: EmailChallengeRepository,
    private readonly audit: AuditService,
    private readonly hasher: PasswordHasher,
    private readonly limiter: RateLimiter,
    private readonly config: AppConfigService,
    private readonly clock: Clock,
    private readonly refusals: RefusalAuditService,
  ) {}

  /** Finds the grant of a token. Unknown tokens count against the caller's IP, so guessing is throttled. */
  private async find(req: RecipientRequest): Promise<{ link: Link; grant: Grant }> {
    const found = /^[A-Za-z0-9_-]{20,100}$/.test(req.token) ? await this.grants.findGrantByTokenHash(hashToken(req.token).toString('hex')) : null;
    if (!found) {
      const rule = this.config.rateLimits.tokenLookupPerIp;
      const d = await this.limiter.hit(`miss:ip:${req.ctx.ip ?? 'unknown'}`, rule.max, rule.windowSeconds);
      if (!d.allowed) {
        await this.refusals.record(req.ctx, { type: 'auth.locked_out', details: { limit: 'tokenLookupPerIp', retryAfterSeconds: d.retryAfterSeconds } });
        throw new RateLimitedError('too_many_attempts', 'Too many unknown links were tried from your address. Wait and try again.', d.retryAfterSeconds);
      }
      await this.refusals.record(req.ctx, { type: 'link.unknown_token' });
      throw new NotFoundError('link_not_found', 'There is no link at this address. Check that you copied the whole link.');
    }
    return found;
  }

  /**
   * The live grant of a request, what its browser session has proved, and the audit context: once
   * the session has verified an email for this grant, every event it causes names that email.
   */
  async resolve(req: RecipientRequest): Promise<ResolvedGrant> {
    const { link, grant } = await this.find(req);
    const rules = new GrantRules(link, grant);
    rules.assertUsable(this.clock.now());
    // Only links with a password or email verification have anything for a session to prove.
    const state =
      rules.link.locks.length > 0
        ? await this.sessions.sessionState(sessionHash(req.session), grant.id)
        : { unlocked: false, verifiedEmail: null };
    const ctx = state.verifiedEmail ? { ...req.ctx, actor: `recipient:${state.verifiedEmail}` } : req.ctx;
    return { link, grant, req: { ...req, ctx }, unlocked: state.unlocked, verifiedEmail: state.verifiedEmail };
  }

  /** What the session must still provide: the password, a verified email, or both. A password sent by a script is checked here. */
  private async locks(r: ResolvedGrant): Promise<Lock[]> {
    const locks = new GrantRules(r.link, r.grant).locks(r);
    if (locks[0] === 'password' && r.req.password) {
      await this.checkPassword(r.req, r.link, r.grant, r.req.password);
      locks.shift();
    }
    return locks;
  }

  /** The landing page. A real view (not a prefetch) sets `openedAt`; nothing here consumes. */
  async landing(req: RecipientRequest, opts: { prefetch: boolean }): Promise<LandingView> {
    const r = await this.resolve(req);
    const { link, grant } = r;
    const locked = await this.locks(r);
    if (!opts.prefetch) {
      await this.db.transaction(async () => {
        const first = await this.grants.markOpened(grant.id);
        await this.audit.record(r.req.ctx, { type: 'page.opened', linkId: link.id, grantId: grant.id, details: { first } });
      });
    }
    const challenge = locked.includes('email') ? await this.challenges.challengeOf(grant.id, sessionHash(req.session)) : null;
    return {
      link,
      grant,
      expiresAt: link.expiresAt?.toISOString() ?? null,
      locked,
      verifiedEmail: r.verifiedEmail,
      emailStep: !locked.includes('email') ? null : challenge?.lockedAt ? 'locked' : challenge && !challenge.usedAt ? 'code' : 'ask',
      codeSentTo: challenge && !challenge.usedAt && !challenge.lockedAt ? challenge.email : null,
      files: locked.length === 0 ? await this.links.filesOf(link.id) : [],
      remainingDownloads: new GrantRules(link, grant).remainingDownloads(),
    };
  }

  /**
   * Unlocks the grant with the link password. The browser session moves to a new id (returned, for
   * the cookie) that carries the unlock and everything the old one had; the old id keeps nothing, so
   * an id planted in the recipient's browser beforehand gains its planter nothing.
   */
  async unlock(req: RecipientRequest, password: string): Promise<{ session: string | null }> {
    const r = await this.resolve(req);
    if (r.link.passwordHash === null) {
      return { session: null };
    }
    await this.checkPassword(r.req, r.link, r.grant, password);
    const next = randomToken(32);
    await this.db.transaction(async () => {
      await this.sessions.rotateSession(sessionHash(req.session), sessionHash(next));
      await this.sessions.markUnlocked(sessionHash(next), r.grant.id);
    });
    return { session: next };
  }

  /**
   * Checks a link password against the guessing budgets: the browser session's and the client
   * address's on this link first, so that a guesser locks out only themselves, then the address's
   * across all links, and a higher ceiling for the link from everywhere (a distributed attack).
   */
  private async checkPassword(req: RecipientRequest, link: Link, grant: Grant, password: string): Promise<void> {
    const rules = this.config.rateLimits;
    const ip = req.ctx.ip ?? 'unknown';
    const budgets = [
      { limit: 'session', key: `unlock:session:${link.id}:${sessionHash(req.session)}`, rule: rules.unlockPerSession },
      { limit: 'address', key: `unlock:link-ip:${link.id}:${ip}`, rule: rules.unlockPerLinkAndIp },
      { limit: 'address', key: `unlock:ip:${ip}`, rule: rules.unlockPerIp },
      { limit: 'link', key: `unlock:link:${link.id}`, rule: rules.unlockPerLink },
    ] as const;
    // Every attempt counts while it is checked (so parallel guesses cannot slip through); a right
    // password gives its count back, so scripts that send the password on each request are not locked out.
    const decisions = [];
    for (const b of budgets) {
      decisions.push({ ...b, d: await this.limiter.hit(b.key, b.rule.max, b.rule.windowSeconds) });
    }
    const giveBack = async (): Promise<void> => {
      for (const b of budgets) {
        await this.limiter.giveBack(b.key);
      }
    };
    const refused = decisions.filter((x) => !x.d.allowed);
    if (refused.length > 0) {
      await giveBack();
      // Bounded per address: a flood of guesses past the limit cannot fill the log.
      await this.refusals.record(req.ctx, {
        type: 'unlock.rate_limited',
        outcome: 'denied',
        linkId: link.id,
        grantId: grant.id,
        details: { limit: refused[0]!.limit },
      });
      throw new RateLimitedError(
        'too_many_attempts',
        'Too many password attempts. Wait a while and try again, or ask the sender for a new link.',
        Math.max(...refused.map((x) => x.d.retryAfterSeconds)),
      );
    }
    const ok = password.length <= 1024 && (await this.hasher.verify(link.passwordHash!, password));
    if (ok) {
      await giveBack();
    }
    await this.audit.record(req.ctx, {
      type: ok ? 'unlock.succeeded' : 'unlock.failed',
      outcome: ok ? 'success' : 'failure',
      linkId: link.id,
      grantId: grant.id,
    });
    if (!ok) {
      throw new UnauthenticatedError('link_password_incorrect', 'That is not the password of this link. Check it with the sender and try again.', {
        locked: ['password'],
      });
    }
  }

  /** A live, unlocked grant with its files; throws 401/404/410 otherwise. Never claims or consumes. */
  async authorize(req: RecipientRequest): Promise<GrantAccess> {
    const r = await this.resolve(req);
    const locked = await this.locks(r);
    if (locked.includes('password')) {
      throw new UnauthenticatedError('link_password_required', 'This link is protected by a password. Enter it on the link page first.', { locked });
    }
    if (locked.includes('email')) {
      throw new UnauthenticatedError('email_verification_required', 'This link needs you to confirm your email address. Do that on the link page first.', {
        locked,
      });
    }
    return { link: r.link, grant: r.grant, files: await this.links.filesOf(r.link.id), req: r.req };
  }

  /** Audits a recipient form posted without its page's CSRF token (bounded per address). */
  async csrfRefused(req: RecipientRequest, route: string): Promise<void> {
    await this.refusals.record(req.ctx, { type: 'auth.csrf_failed', details: { route } });
  }
}
