import { z } from 'zod';
import { InvalidInputError } from './errors.js';

/**
 * Why a string is refused wherever the gateway takes text in. PostgreSQL cannot store a NUL in
 * `text`, and an unpaired UTF-16 surrogate has no UTF-8 encoding: both would fail deep inside a
 * query (a 500) instead of at the edge (a 400 naming the field).
 */
export const DISALLOWED_TEXT_MESSAGE = 'contains a character that is not allowed (NUL or an unpaired surrogate)';

/** Whether `s` can be stored and shown as text: no NUL, no lone surrogate. */
export function isAllowedText(s: string): boolean {
  // String.prototype.isWellFormed is ES2024 (Node 20 has it); the compiler's lib is ES2023.
  return (s as string & { isWellFormed(): boolean }).isWellFormed() && !s.includes('\u0000');
}

/** A key path as a person reads it; a key that is itself not allowed is shown JSON-escaped. */
function segment(key: string | number): string {
  return typeof key === 'number' || isAllowedText(key) ? String(key) : JSON.stringify(key);
}

/**
 * The path of the first string (or object key) in `value` that is not allowed text, or null.
 * Walks plain objects and arrays only, to `maxDepth`; `prefix` names where the value came from.
 */
export function findDisallowedText(value: unknown, prefix: ReadonlyArray<string | number> = [], maxDepth = 64): string | null {
  const walk = (v: unknown, path: Array<string | number>, depth: number): string | null => {
    if (typeof v === 'string') {
      return isAllowedText(v) ? null : path.map(segment).join('.') || 'value';
    }
    if (v === null || typeof v !== 'object' || depth > maxDepth) {
      return null;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const found = walk(v[i], [...path, i], depth + 1);
        if (found !== null) {
          return found;
        }
      }
      return null;
    }
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      return null;
    }
    for (const key of Object.keys(v)) {
      if (!isAllowedText(key)) {
        return [...path, key].map(segment).join('.');
      }
      const found = walk((v as Record<string, unknown>)[key], [...path, key], depth + 1);
      if (found !== null) {
        return found;
      }
    }
    return null;
  };
  return walk(value, [...prefix], 0);
}

/** The one refusal for text that is not allowed, naming the field (`details.field`). */
export function disallowedTextError(field: string): InvalidInputError {
  return new InvalidInputError('invalid_request', `The request is not valid: ${field} ${DISALLOWED_TEXT_MESSAGE}.`, { field });
}

/** Throws the refusal when any string in `value` (keys included) is not allowed text. */
export function assertAllowedText(value: unknown, prefix: ReadonlyArray<string | number> = []): void {
  const field = findDisallowedText(value, prefix);
  if (field !== null) {
    throw disallowedTextError(field);
  }
}

/** A zod string that refuses NUL and lone surrogates: for schemas that parse input themselves. */
export const text = (): z.ZodString => z.string().refine(isAllowedText, { message: DISALLOWED_TEXT_MESSAGE });
