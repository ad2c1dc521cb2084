import type { DomainErrorKind } from '@mft/core';

/** The HTTP status of each kind of domain error: the one table both HTTP apps use. */
export const HTTP_STATUS: Record<DomainErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  too_large: 413,
  precondition_failed: 412,
  range_not_satisfiable: 416,
  policy: 422,
  locked: 423,
  rate_limited: 429,
  not_implemented: 501,
  unavailable: 503,
};

/** A short title for each status, for human pages. */
export const STATUS_TITLE: Record<number, string> = {
  400: 'This request cannot be understood',
  401: 'This link is locked',
  403: 'Not allowed',
  404: 'Link not found',
  405: 'Method not allowed',
  409: 'Someone is already downloading this link',
  410: 'This link is no longer available',
  412: 'Changed in the meantime',
  413: 'Too large',
  415: 'Unsupported content type',
  416: 'Range not satisfiable',
  422: 'Not allowed by policy',
  429: 'Too many attempts',
  500: 'Something went wrong',
  501: 'Not available yet',
  503: 'Temporarily unavailable',
};
