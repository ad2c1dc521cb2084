/** The staff app's only door to the gateway: /api/v1 with the session cookie and its CSRF token. */

export interface Me {
  readonly user: string;
  readonly email: string | null;
  readonly roles: readonly string[];
  readonly csrfToken?: string;
}

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

/** A refusal from the API, carrying the message it gave (never a code alone). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;

async function call<T>(method: string, path: string, body?: BodyInit, headers: Record<string, string> = {}): Promise<T> {
  const sent: Record<string, string> = { accept: 'application/json', ...headers };
  if (method !== 'GET' && csrfToken) {
    sent['x-csrf-token'] = csrfToken;
  }
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { method, body, headers: sent, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'The gateway cannot be reached. Check your connection and try again.');
  }
  if (!res.ok) {
    let message = `The gateway refused the request (HTTP ${String(res.status)}).`;
    try {
      const parsed = (await res.json()) as { message?: unknown };
      if (typeof parsed.message === 'string' && parsed.message !== '') {
        message = parsed.message;
      }
    } catch {
      // Not JSON: keep the generic message with the status.
    }
    throw new ApiError(res.status, message);
  }
  if (res.status === 204) {
    return undefined as T;
  }
  return (await res.json()) as T;
}

export const api = {
  async me(): Promise<Me> {
    const me = await call<Me>('GET', '/me');
    csrfToken = me.csrfToken ?? null;
    return me;
  },
  links: (): Promise<Link[]> => call<Link[]>('GET', '/links?limit=200'),
  link: (id: string): Promise<Link> => call<Link>('GET', `/links/${encodeURIComponent(id)}`),
  send: (form: FormData): Promise<CreatedLink> => call<CreatedLink>('POST', '/links', form),
  csrf: (): string | null => csrfToken,
};
