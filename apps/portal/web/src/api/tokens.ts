import { call, callJson } from './client.ts';

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

export const tokensApi = {
  list: (): Promise<ApiToken[]> => call<ApiToken[]>('GET', '/tokens'),
  scopes: (): Promise<TokenScope[]> => call<TokenScope[]>('GET', '/tokens/scopes'),
  create: (token: NewToken): Promise<CreatedToken> => callJson<CreatedToken>('POST', '/tokens', token),
  revoke: (id: string): Promise<void> => call<void>('DELETE', `/tokens/${encodeURIComponent(id)}`),
};
