/** What an API token may do, on top of what its user's roles allow. */
export const SCOPES = ['links:read', 'links:write', 'audit:read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** A token with the `admin` scope may do everything its user's roles allow. */
export const scopeAllows = (granted: readonly string[], needed: Scope): boolean => granted.includes('admin') || granted.includes(needed);
