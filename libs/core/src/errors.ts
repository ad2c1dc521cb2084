/**
 * A failure the domain knows how to name. `code` is stable and machine-readable
 * (clients switch on it); `message` is for a person and must say what to do.
 * Apps map the `kind` to their own protocol (HTTP status, SSH_FX_*), once, at their edge.
 */
export type DomainErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'too_large'
  | 'rate_limited'
  | 'locked'
  | 'policy'
  | 'unavailable'
  | 'range_not_satisfiable'
  | 'precondition_failed'
  | 'not_implemented';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const isDomainError = (err: unknown): err is DomainError => err instanceof DomainError;

export class InvalidInputError extends DomainError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super('invalid', code, message, details);
  }
}

export class NotFoundError extends DomainError {
  constructor(code: string, message: string) {
    super('not_found', code, message);
  }
}

export class GoneError extends DomainError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super('gone', code, message, details);
  }
}

export class ConflictError extends DomainError {
  constructor(code: string, message: string) {
    super('conflict', code, message);
  }
}

export class TooLargeError extends DomainError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super('too_large', code, message, details);
  }
}

export class RateLimitedError extends DomainError {
  constructor(code: string, message: string, readonly retryAfterSeconds: number) {
    super('rate_limited', code, message, { retryAfterSeconds });
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super('unauthenticated', code, message, details);
  }
}

export class ForbiddenError extends DomainError {
  constructor(code: string, message: string) {
    super('forbidden', code, message);
  }
}

export class UnavailableError extends DomainError {
  constructor(code: string, message: string) {
    super('unavailable', code, message);
  }
}

export class NotImplementedError extends DomainError {
  constructor(code: string, message: string) {
    super('not_implemented', code, message);
  }
}

/**
 * A problem found while starting (a bad policy file, say): the process prints the message, which
 * names what to fix, and exits, rather than serving with a configuration nobody intended.
 */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** A conditional change whose condition (`If-Match`) no longer holds. */
export class PreconditionFailedError extends DomainError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super('precondition_failed', code, message, details);
  }
}
