import { call, callJson, request } from './client.ts';

/** One of your API tokens as GET /api/v1/tokens lists it (never its secret). */
export interface ApiToken {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

/** A new token: the only answer that carries its secret. */
export interface CreatedToken {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly token: string;
}

export interface TokenScope {
  readonly scope: string;
  readonly description: string;
}

export interface NewToken {
  readonly name: string;
  readonly scopes: readonly string[];
  /** null: the token never expires. */
  readonly expiresInDays: number | null;
}

/** Anyone's live token as administrators see it (GET /api/v1/tokens?all=true), with its owner. */
export interface OwnedToken extends ApiToken {
  readonly owner: { readonly id: string; readonly user: string; readonly displayName: string | null };
}

export const tokensApi = {
  list: (): Promise<ApiToken[]> => call<ApiToken[]>('GET', '/tokens'),
  scopes: (): Promise<TokenScope[]> => call<TokenScope[]>('GET', '/tokens/scopes'),
  create: (token: NewToken): Promise<CreatedToken> => callJson<CreatedToken>('POST', '/tokens', token),
  revoke: (id: string): Promise<void> => call<void>('DELETE', `/tokens/${encodeURIComponent(id)}`),
  /** One page of every user's live tokens, newest first (administrators), and the cursor of the next page. */
  listAll: async (cursor?: string, limit = 50): Promise<{ tokens: OwnedToken[]; next: string | null }> => {
    const params = new URLSearchParams({ all: 'true', limit: String(limit) });
    if (cursor) {
      params.set('cursor', cursor);
    }
    const { data, headers } = await request<OwnedToken[]>('GET', `/tokens?${params.toString()}`);
    return { tokens: data, next: headers.get('x-next-cursor') };
  },
};
