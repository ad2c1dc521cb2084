import { randomBytes } from 'node:crypto';

/** RFC 4648 base32 in lower case: no padding, nothing a shell or a URL treats specially. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** How many characters an app password has: 32 base32 characters carry 160 bits. */
export const APP_PASSWORD_LENGTH = 32;

/** A new app password from the CSPRNG: 32 base32 characters (160 bits), shown once, stored as argon2id. */
export function generateAppPassword(): string {
  const bytes = randomBytes((APP_PASSWORD_LENGTH * 5) / 8);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/**
 * Whether `s` has the shape of an app password. Anything else (a person's SSO password typed by
 * mistake) is checked against no stored hash: it costs one argon2 verification, not one per app password.
 */
export const looksLikeAppPassword = (s: string): boolean => s.length === APP_PASSWORD_LENGTH && /^[a-z2-7]+$/.test(s);
