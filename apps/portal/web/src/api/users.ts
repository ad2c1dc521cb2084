import { callJson, request } from './client.ts';

/** The roles the gateway knows (ROLES of the API), in its order. */
export const ROLES = ['admin', 'manager', 'employee', 'auditor', 'external'] as const;

/** A user as GET /api/v1/users lists them (administrators only). */
export interface ManagedUser {
  readonly id: string;
  readonly user: string;
  readonly email: string | null;
  readonly displayName: string | null;
  readonly roles: readonly string[];
  /** local: administrators set the roles here; idp: the identity provider's groups do, at each sign-in. */
  readonly rolesFrom: 'local' | 'idp';
  readonly idp: { readonly id: string; readonly name: string } | null;
  readonly groups: readonly string[];
  readonly disabled: boolean;
  readonly disabledAt: string | null;
  readonly createdAt: string;
  readonly lastSignInAt: string | null;
  readonly counts: { readonly tokens: number; readonly sshKeys: number; readonly appPasswords: number };
}

/** What the Users table asks for; empty strings are left out. */
export interface UserQuery {
  readonly q?: string;
  readonly role?: string;
  readonly group?: string;
  /** 'true' or 'false'. */
  readonly disabled?: string;
  readonly cursor?: string;
  readonly limit?: number;
}

export interface UserChange {
  readonly disabled?: boolean;
  readonly roles?: readonly string[];
}

export const usersApi = {
  /** One page of users in user-name order, and the cursor of the next page (null on the last). */
  list: async (query: UserQuery = {}): Promise<{ users: ManagedUser[]; next: string | null }> => {
    const params = new URLSearchParams({ limit: String(query.limit ?? 25) });
    for (const key of ['q', 'role', 'group', 'disabled', 'cursor'] as const) {
      const value = query[key];
      if (value) {
        params.set(key, value);
      }
    }
    const { data, headers } = await request<ManagedUser[]>('GET', `/users?${params.toString()}`);
    return { users: data, next: headers.get('x-next-cursor') };
  },
  update: (id: string, change: UserChange): Promise<ManagedUser> => callJson<ManagedUser>('PATCH', `/users/${encodeURIComponent(id)}`, change),
};
