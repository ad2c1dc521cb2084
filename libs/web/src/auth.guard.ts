import { Injectable, Logger, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { RefusalAuditService } from '@mft/audit';
import { ForbiddenError, UnauthenticatedError } from '@mft/core';
import { hasRole, scopeAllows, SESSION_COOKIE, SessionService, TokenService, userActor, type User } from '@mft/identity';
import { accessContext } from './access-context.js';
import { ACCESS_KEY, type AccessRule } from './access.decorators.js';

export interface AuthenticatedRequest extends Request {
  user?: User;
  /** How the request authenticated. */
  via?: 'token' | 'session';
  /** The scopes of the API token it authenticated with (for a route whose rule depends on its query). */
  scopes?: readonly string[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Authenticates a request by `Authorization: Bearer <token>` or by the browser session cookie, and
 * enforces the route's declared rule. Cookie-authenticated state changes must carry the session's
 * CSRF token (`X-CSRF-Token` header or `_csrf` form field).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  readonly #logger = new Logger('Auth');

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly sessions: SessionService,
    private readonly refusals: RefusalAuditService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_KEY, [context.getHandler(), context.getClass()]);
    if (!rule) {
      this.#logger.error({ msg: 'route has no access rule; refusing', handler: context.getHandler().name });
      throw new ForbiddenError('route_without_access_rule', 'This route is not available.');
    }
    if (rule.kind === 'public') {
      return true;
    }
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = req.get('authorization');
    let user: User;
    if (header) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      const found = match ? await this.tokens.authenticate(match[1]!) : null;
      if (!found) {
        const why = match ? await this.tokens.rejection(match[1]!) : { reason: 'malformed' as const, username: null };
        await this.refusals.record(accessContext(req, why.username ? `user:${why.username}` : 'anonymous'), {
          type: 'auth.token_rejected',
          details: { reason: why.reason, route: routeOf(context, req) },
        });
        throw new UnauthenticatedError('invalid_token', 'The API token is not valid: it is unknown, revoked or expired.');
      }
      if (!scopeAllows(found.scopes, rule.scope)) {
        await this.refusals.record(accessContext(req, userActor(found.user)), {
          type: 'auth.forbidden',
          details: { reason: 'token_scope_missing', scope: rule.scope, route: routeOf(context, req) },
        });
        throw new ForbiddenError('token_scope_missing', `This API token lacks the scope "${rule.scope}".`);
      }
      user = found.user;
      req.via = 'token';
      req.scopes = found.scopes;
    } else {
      const raw = (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE];
      const session = await this.sessions.resolve(raw);
      if (!session || session.stage !== 'full') {
        throw new UnauthenticatedError(
          'authentication_required',
          'Sign in at /auth/login, or send an API token in the Authorization header: "Authorization: Bearer <token>".',
        );
      }
      if (!SAFE_METHODS.has(req.method)) {
        const sent = req.get('x-csrf-token') ?? (req.body as Record<string, unknown> | undefined)?._csrf;
        if (!this.sessions.csrfValid(raw!, sent)) {
          await this.refusals.record(accessContext(req, userActor(session.user)), { type: 'auth.csrf_failed', details: { route: routeOf(context, req) } });
          throw new ForbiddenError('csrf_invalid', 'This request lacks a valid CSRF token (X-CSRF-Token header). Reload the page and try again.');
        }
      }
      user = session.user;
      req.via = 'session';
    }
    req.user = user;
    if (!hasRole(user, ...rule.roles)) {
      await this.refusals.record(accessContext(req, userActor(user)), {
        type: 'auth.forbidden',
        details: { reason: 'role_forbidden', roles: rule.roles, route: routeOf(context, req) },
      });
      throw new ForbiddenError('role_forbidden', `This needs one of the roles: ${rule.roles.join(', ')}.`);
    }
    return true;
  }
}

/** The route as declared (`PUT /api/v1/policy`), never the path as sent (it may carry ids or secrets). */
function routeOf(context: ExecutionContext, req: Request): string {
  const declared = (req.route as { path?: unknown } | undefined)?.path;
  return `${req.method} ${typeof declared === 'string' ? declared : `${context.getClass().name}.${context.getHandler().name}`}`;
}
