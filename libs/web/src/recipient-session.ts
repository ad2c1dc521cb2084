import type { Request, Response } from 'express';
import { hmac, randomToken, safeEqual } from '@mft/core';

export const RECIPIENT_SESSION_COOKIE = 'mft_rs';
/** `<id>.<signature>`: a 32-byte random id and its HMAC under the secret key. */
const COOKIE_RE = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/;

const signatureOf = (secret: string, id: string): string => hmac(secret, `recipient-session:${id}`);

/**
 * The recipient's browser session: a random id in an HttpOnly cookie, created on first contact and
 * signed, so that only ids this gateway issued are accepted (a value planted in someone's browser
 * is replaced). Claims of one-time grants and password unlocks are bound to it (by its hash,
 * server-side); the id is replaced at every unlock and email verification (`issueRecipientSession`).
 */
export function recipientSession(req: Request, res: Response, secret: string, secure: boolean): string {
  const m = COOKIE_RE.exec((req.cookies as Record<string, string> | undefined)?.[RECIPIENT_SESSION_COOKIE] ?? '');
  if (m && safeEqual(m[2]!, signatureOf(secret, m[1]!))) {
    return m[1]!;
  }
  const id = randomToken(32);
  issueRecipientSession(res, secret, secure, id);
  return id;
}

/** Sets the session cookie to `id`, replacing any session cookie this response was already going to set. */
export function issueRecipientSession(res: Response, secret: string, secure: boolean, id: string): void {
  const prior = res.getHeader('Set-Cookie');
  const others = (Array.isArray(prior) ? prior : prior === undefined ? [] : [String(prior)]).filter((c) => !c.startsWith(`${RECIPIENT_SESSION_COOKIE}=`));
  if (others.length > 0) {
    res.setHeader('Set-Cookie', others);
  } else {
    res.removeHeader('Set-Cookie');
  }
  res.cookie(RECIPIENT_SESSION_COOKIE, `${id}.${signatureOf(secret, id)}`, { httpOnly: true, sameSite: 'lax', secure, path: '/l/', maxAge: 30 * 86_400_000 });
}
