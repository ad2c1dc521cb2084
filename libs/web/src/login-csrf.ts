import type { Request, Response } from 'express';
import { randomToken } from '@mft/core';
import type { CsrfTokens } from '@mft/identity';

const PRE_COOKIE = 'mft_pre';

const preCookieOf = (req: Request): string | undefined => (req.cookies as Record<string, string> | undefined)?.[PRE_COOKIE];

/**
 * CSRF protection for the sign-in forms, before any session exists: a random cookie and a form
 * field bound to it (a `login` token). A cross-site form can neither read nor set either.
 */
export function loginCsrfToken(req: Request, res: Response, csrf: CsrfTokens, secure: boolean): string {
  let pre = preCookieOf(req);
  if (!pre || !/^[A-Za-z0-9_-]{43}$/.test(pre)) {
    pre = randomToken(32);
    res.cookie(PRE_COOKIE, pre, { httpOnly: true, sameSite: 'lax', secure, path: '/auth/' });
  }
  return csrf.issue('login', pre);
}

export function loginCsrfValid(req: Request, csrf: CsrfTokens, token: unknown): boolean {
  const pre = preCookieOf(req);
  return typeof pre === 'string' && csrf.verify('login', pre, token);
}
