import { call, request } from './client.ts';

export interface LinkFile {
  readonly id: string;
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  readonly contentType: string;
}

/** The email inviting one recipient: null status when none was sent. */
export interface Delivery {
  readonly status: 'queued' | 'sent' | 'outbox' | 'failed' | null;
  readonly error: string | null;
  readonly text: string | null;
  /** When the mail server accepted the invitation. */
  readonly deliveredAt: string | null;
}

export interface LinkGrant {
  readonly id: string;
  readonly recipient: string | null;
  readonly status: string;
  readonly deliveredAt: string | null;
  readonly delivery: Delivery;
  readonly openedAt: string | null;
  readonly downloadedAt: string | null;
  readonly downloads: number;
  readonly deliveredBytes: number;
  readonly endedAt: string | null;
  /** Whether this recipient's access still works (a Revoke button). */
  readonly canRevoke: boolean;
  /** Whether a new invitation may be sent now (a Resend button). */
  readonly canResend: boolean;
}

export interface Link {
  readonly id: string;
  readonly kind: string;
  readonly owner: string;
  readonly status: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly oneTime: boolean;
  readonly maxDownloads: number | null;
  readonly passwordProtected: boolean;
  readonly requireEmailVerification: boolean;
  readonly message: string | null;
  readonly revokedAt: string | null;
  readonly endedAt: string | null;
  /** Whether the link still works (a Revoke link button). */
  readonly canRevoke: boolean;
  readonly files: readonly LinkFile[];
  readonly grants: readonly LinkGrant[];
  /** Share links: the shared path. */
  readonly path?: string;
}

/** One event of a link's activity (GET /api/v1/links/:id/activity). */
export interface LinkActivity {
  readonly type: string;
  readonly at: string;
  readonly grantId: string | null;
  readonly ip: string | null;
  readonly email: string | null;
  readonly detail: string;
}

export interface CreatedLink {
  readonly id: string;
  readonly grants: ReadonlyArray<{ readonly recipient: string | null; readonly url: string }>;
}

/** What the Links table asks for: a search, a status, the cursor of a page. */
export interface LinkQuery {
  readonly q?: string;
  readonly status?: string;
  readonly cursor?: string;
  readonly limit?: number;
  /** An admin's view of one person's links: their username. */
  readonly owner?: string;
}

export interface ResentInvitation {
  readonly id: string;
  readonly recipient: string;
  readonly url: string;
}

const link = (id: string): string => `/links/${encodeURIComponent(id)}`;

export const linksApi = {
  /** One page of links, and the cursor of the next page (null on the last). */
  list: async (query: LinkQuery = {}): Promise<{ links: Link[]; next: string | null }> => {
    const params = new URLSearchParams({ limit: String(query.limit ?? 25) });
    for (const key of ['q', 'status', 'owner', 'cursor'] as const) {
      const value = query[key];
      if (value) {
        params.set(key, value);
      }
    }
    const { data, headers } = await request<Link[]>('GET', `/links?${params.toString()}`);
    return { links: data, next: headers.get('x-next-cursor') };
  },
  get: (id: string): Promise<Link> => call<Link>('GET', link(id)),
  activity: (id: string): Promise<LinkActivity[]> => call<LinkActivity[]>('GET', `${link(id)}/activity`),
  revoke: (id: string): Promise<void> => call<void>('DELETE', link(id)),
  revokeGrant: (id: string, grantId: string): Promise<void> => call<void>('DELETE', `${link(id)}/grants/${encodeURIComponent(grantId)}`),
  resend: (id: string, grantId: string): Promise<ResentInvitation> => call<ResentInvitation>('POST', `${link(id)}/grants/${encodeURIComponent(grantId)}/resend`),
  send: (form: FormData): Promise<CreatedLink> => call<CreatedLink>('POST', '/links', form),
};
