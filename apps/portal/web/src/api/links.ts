import { call } from './client.ts';

export interface LinkFile {
  readonly id: string;
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  readonly contentType: string;
}

export interface LinkGrant {
  readonly id: string;
  readonly recipient: string | null;
  readonly status: string;
  readonly openedAt: string | null;
  readonly downloadedAt: string | null;
  readonly downloads: number;
}

export interface Link {
  readonly id: string;
  readonly kind: string;
  readonly owner: string;
  readonly status: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly files: readonly LinkFile[];
  readonly grants: readonly LinkGrant[];
}

export interface CreatedLink {
  readonly id: string;
  readonly grants: ReadonlyArray<{ readonly recipient: string | null; readonly url: string }>;
}

export const linksApi = {
  list: (): Promise<Link[]> => call<Link[]>('GET', '/links?limit=200'),
  get: (id: string): Promise<Link> => call<Link>('GET', `/links/${encodeURIComponent(id)}`),
  send: (form: FormData): Promise<CreatedLink> => call<CreatedLink>('POST', '/links', form),
};
