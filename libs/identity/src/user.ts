/** The roles of DESIGN.md; a user holds one or more. */
export const ROLES = ['admin', 'manager', 'employee', 'auditor', 'external'] as const;
export type Role = (typeof ROLES)[number];

/** An authenticated person (or the bootstrap admin), as the services see them. */
export interface User {
  readonly id: string;
  readonly username: string;
  readonly email: string | null;
  readonly displayName: string | null;
  readonly roles: readonly Role[];
}

export const hasRole = (user: User, ...roles: Role[]): boolean => user.roles.some((r) => roles.includes(r));

/** How others see a user: the display name from the IdP, else the user name. */
export const displayNameOf = (user: Pick<User, 'displayName' | 'username'>): string => user.displayName?.trim() || user.username;

/** The actor string that audit events carry for a user. */
export const userActor = (user: User): string => `user:${user.username}`;
