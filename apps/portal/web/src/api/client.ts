/** The staff app's only door to the gateway: /api/v1 with the session cookie and its CSRF token. */

/** A refusal from the API, carrying the message it gave (never a code alone) and the rest of its body (`code`, `problems`, …). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;

export async function call<T>(method: string, path: string, body?: BodyInit, headers: Record<string, string> = {}): Promise<T> {
  return (await request<T>(method, path, body, headers)).data;
}

/** A request whose answer's headers matter too (a list's next-page cursor). */
export async function request<T>(method: string, path: string, body?: BodyInit, headers: Record<string, string> = {}): Promise<{ data: T; headers: Headers }> {
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
    let answer: Record<string, unknown> = {};
    try {
      const parsed = (await res.json()) as unknown;
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
        answer = parsed as Record<string, unknown>;
      }
      if (typeof answer.message === 'string' && answer.message !== '') {
        message = answer.message;
      }
    } catch {
      // Not JSON: keep the generic message with the status.
    }
    throw new ApiError(res.status, message, answer);
  }
  if (res.status === 204) {
    return { data: undefined as T, headers: res.headers };
  }
  return { data: (await res.json()) as T, headers: res.headers };
}

/** The CSRF token of this browser session, sent on every request that changes something. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function currentCsrfToken(): string | null {
  return csrfToken;
}

/** A request with a JSON body. */
export function callJson<T>(method: string, path: string, value: unknown): Promise<T> {
  return call<T>(method, path, JSON.stringify(value), { 'content-type': 'application/json' });
}
