import type { Request, Response } from 'express';
import { SESSION_COOKIE } from '@mft/identity';

/** Sets the browser session cookie: HttpOnly, SameSite=Lax, Secure behind TLS. */
export function setSessionCookie(res: Response, raw: string, secure: boolean): void {
  res.cookie(SESSION_COOKIE, raw, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}

export function clearSessionCookie(res: Response, secure: boolean): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}

export function sessionCookieOf(req: Request): string | undefined {
  return (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE];
}

/** Only same-site relative paths are followed after sign-in (no open redirect). */
export function safeReturnTo(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[\w\-./?=&%]*$/.test(value) ? value : '/app';
}
