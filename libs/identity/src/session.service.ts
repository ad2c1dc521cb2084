import { Injectable } from '@nestjs/common';
import { AuditService, type AccessContext } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { hashToken, randomToken } from '@mft/core';
import { CsrfTokens } from './csrf-tokens.js';
import { SessionsRepository, type SessionRecord, type SessionStage } from './sessions.repository.js';
import type { User } from './user.js';

export const SESSION_COOKIE = 'mft_session';

export interface ResolvedSession {
  readonly user: User;
  readonly stage: SessionStage;
  readonly method: string;
  /** The CSRF token every cookie-authenticated state change must carry. */
  readonly csrf: string;
}

const idHash = (raw: string): string => hashToken(raw).toString('hex');

/** Server-side browser sessions: created (and so rotated) at each sign-in step, revocable anywhere. */
@Injectable()
export class SessionService {
  constructor(
    private readonly repo: SessionsRepository,
    private readonly audit: AuditService,
    private readonly config: AppConfigService,
    private readonly csrf: CsrfTokens,
  ) {}

  /** Starts a new session and returns its raw id (the cookie value). Any previous session id is not reused. */
  async start(user: User, method: string, stage: SessionStage, ctx: AccessContext): Promise<string> {
    const raw = randomToken(32);
    await this.repo.insert({
      idHash: idHash(raw),
      userId: user.id,
      method,
      stage,
      absoluteSeconds: this.config.values.auth.sessionAbsoluteHours * 3600,
      ip: ctx.ip,
      userAgent: ctx.userAgent,
    });
    return raw;
  }

  async resolve(raw: string | undefined): Promise<ResolvedSession | null> {
    if (!raw || !/^[A-Za-z0-9_-]{43}$/.test(raw)) {
      return null;
    }
    const s = await this.repo.touch(idHash(raw), this.config.values.auth.sessionIdleMinutes * 60);
    return s ? { user: toUser(s), stage: s.stage, method: s.method, csrf: this.csrfFor(raw) } : null;
  }

  /** The CSRF token of the session whose raw id is `raw` (bound to the id's hash, as stored). */
  csrfFor(raw: string): string {
    return this.csrf.issue('staff-session', idHash(raw));
  }

  csrfValid(raw: string, token: unknown): boolean {
    return this.csrf.verify('staff-session', idHash(raw), token);
  }

  async end(raw: string | undefined, ctx: AccessContext): Promise<void> {
    if (raw && (await this.repo.revoke(idHash(raw)))) {
      await this.audit.record(ctx, { type: 'auth.logout' });
    }
  }

  /** Ends every session of a user (role change, lockout, disable). */
  async endAllOf(userId: string): Promise<number> {
    return this.repo.revokeAllOf(userId);
  }
}

function toUser(s: SessionRecord): User {
  return { id: s.userId, username: s.username, email: s.email, displayName: s.displayName, roles: s.roles };
}
