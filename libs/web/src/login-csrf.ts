import type { Request, Response } from 'express';
import { hmac, randomToken, safeEqual } from '@mft/core';

const PRE_COOKIE = 'mft_pre';

/**
 * CSRF protection for the sign-in forms, before any session exists: a random cookie and a form
 * field derived from it (HMAC with the server key). A cross-site form cannot read or set either.
 */
export function loginCsrfToken(req: Request, res: Response, secret: string, secure: boolean): string {
  let pre = (req.cookies as Record<string, string> | undefined)?.[PRE_COOKIE];
  if (!pre || !/^[A-Za-z0-9_-]{43}$/.test(pre)) {
    pre = randomToken(32);
    res.cookie(PRE_COOKIE, pre, { httpOnly: true, sameSite: 'lax', secure, path: '/auth/' });
  }
  return hmac(secret, `login-csrf:${pre}`);
}

export function loginCsrfValid(req: Request, secret: string, token: unknown): boolean {
  const pre = (req.cookies as Record<string, string> | undefined)?.[PRE_COOKIE];
  return typeof pre === 'string' && typeof token === 'string' && safeEqual(token, hmac(secret, `login-csrf:${pre}`));
}
