import { Injectable, Logger, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ForbiddenError, UnauthenticatedError } from '@mft/core';
import { hasRole, TokenService, type User } from '@mft/identity';
import { ACCESS_KEY, type AccessRule } from './access.decorators.js';

export interface AuthenticatedRequest extends Request {
  user?: User;
}

/** Authenticates `Authorization: Bearer <token>` and enforces the route's declared access rule. */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  readonly #logger = new Logger('Auth');

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
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
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      throw new UnauthenticatedError('authentication_required', 'Send an API token in the Authorization header: "Authorization: Bearer <token>".');
    }
    const user = await this.tokens.authenticate(match[1]!);
    if (!user) {
      throw new UnauthenticatedError('invalid_token', 'The API token is not valid: it is unknown, revoked or expired.');
    }
    req.user = user;
    if (!hasRole(user, ...rule.roles)) {
      throw new ForbiddenError('role_forbidden', `This needs one of the roles: ${rule.roles.join(', ')}.`);
    }
    return true;
  }
}
