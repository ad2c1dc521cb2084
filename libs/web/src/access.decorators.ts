import { SetMetadata } from '@nestjs/common';
import type { Role, Scope } from '@mft/identity';

export const ACCESS_KEY = 'mft:access';

/**
 * Who may call a route. Every route of the API declares one; a route without it is refused (and
 * the route-table test fails). `roles`: any of them; `scope`: what an API token must carry.
 */
export type AccessRule = { kind: 'public' } | { kind: 'roles'; roles: readonly Role[]; scope: Scope };

/** The route needs no credentials (health checks, sign-in pages). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_KEY, { kind: 'public' } satisfies AccessRule);

/** The route needs a signed-in user holding one of `roles`; an API token must also carry `scope`. */
export const Access = (scope: Scope, ...roles: Role[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_KEY, { kind: 'roles', roles, scope } satisfies AccessRule);

/** Roles that see and manage their own links. */
export const LINK_ROLES: Role[] = ['admin', 'manager', 'employee', 'external'];
export const AUDIT_ROLES: Role[] = ['admin', 'auditor'];
export const EVERY_ROLE: Role[] = ['admin', 'manager', 'employee', 'auditor', 'external'];
