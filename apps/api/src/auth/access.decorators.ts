import { SetMetadata } from '@nestjs/common';
import type { Role } from '@mft/identity';

export const ACCESS_KEY = 'mft:access';

/** Who may call a route. Every /api/v1 route declares one; a route without it is refused. */
export type AccessRule = { kind: 'public' } | { kind: 'roles'; roles: readonly Role[] };

/** The route needs no credentials (health checks). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_KEY, { kind: 'public' } satisfies AccessRule);

/** The route needs a bearer token of a user holding one of these roles. */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_KEY, { kind: 'roles', roles } satisfies AccessRule);

/** Any signed-in user. */
export const AnyUser = (): MethodDecorator & ClassDecorator =>
  Roles('admin', 'manager', 'employee', 'auditor', 'external');
