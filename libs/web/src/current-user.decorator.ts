import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { User } from '@mft/identity';
import type { AuthenticatedRequest } from './auth.guard.js';

/** The user the bearer guard authenticated. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): User => {
  const user = ctx.switchToHttp().getRequest<AuthenticatedRequest>().user;
  if (!user) {
    throw new Error('CurrentUser used on a route without authentication');
  }
  return user;
});
