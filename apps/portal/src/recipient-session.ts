import type { Request, Response } from 'express';
import { hmac, randomToken, safeEqual } from '@mft/core';

export const SESSION_COOKIE = 'mft_rs';
const SESSION_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * The recipient's browser session: a random id in an HttpOnly cookie, created on first contact.
 * Claims of one-time grants and password unlocks are bound to it (by its hash, server-side).
 */
export function recipientSession(req: Request, res: Response, secure: boolean): string {
  const existing = (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE];
  if (existing && SESSION_RE.test(existing)) {
    return existing;
  }
  const id = randomToken(32);
  res.cookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'lax', secure, path: '/l/', maxAge: 30 * 86_400_000 });
  return id;
}

/** A CSRF token bound to the session, for the portal's forms. */
export function csrfToken(secret: string, session: string): string {
  return hmac(secret, `csrf:${session}`);
}

export function csrfValid(secret: string, session: string, token: unknown): boolean {
  return typeof token === 'string' && safeEqual(token, csrfToken(secret, session));
}
