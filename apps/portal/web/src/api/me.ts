import { call, setCsrfToken } from './client.ts';

export interface Me {
  readonly user: string;
  readonly email: string | null;
  readonly roles: readonly string[];
  readonly csrfToken?: string;
}

export async function loadMe(): Promise<Me> {
  const me = await call<Me>('GET', '/me');
  setCsrfToken(me.csrfToken ?? null);
  return me;
}
