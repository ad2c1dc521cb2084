import type { Logger } from '@nestjs/common';
import { isDomainError, type DomainErrorKind } from '@mft/core';
import { isStorageError } from '@mft/storage';

/** SSH_FX_* status codes of SFTP version 3 (draft-ietf-secsh-filexfer-02), the version OpenSSH speaks. */
export const FX = {
  OK: 0,
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  OP_UNSUPPORTED: 8,
} as const;
export type FxCode = (typeof FX)[keyof typeof FX];

/** A refusal the ingress itself decides (not a file operation of the domain): a status and a message for the client. */
export class SftpRefusal extends Error {
  constructor(
    readonly status: FxCode,
    message: string,
  ) {
    super(message);
    this.name = 'SftpRefusal';
  }
}

export const noSuchFile = (message = 'No such file or folder.'): SftpRefusal => new SftpRefusal(FX.NO_SUCH_FILE, message);
export const permissionDenied = (message: string): SftpRefusal => new SftpRefusal(FX.PERMISSION_DENIED, message);
export const unsupported = (message: string): SftpRefusal => new SftpRefusal(FX.OP_UNSUPPORTED, message);
export const failure = (message: string): SftpRefusal => new SftpRefusal(FX.FAILURE, message);

const BY_KIND: Record<DomainErrorKind, FxCode> = {
  invalid: FX.FAILURE,
  unauthenticated: FX.PERMISSION_DENIED,
  forbidden: FX.PERMISSION_DENIED,
  not_found: FX.NO_SUCH_FILE,
  gone: FX.NO_SUCH_FILE,
  conflict: FX.FAILURE,
  too_large: FX.FAILURE,
  rate_limited: FX.FAILURE,
  locked: FX.PERMISSION_DENIED,
  policy: FX.PERMISSION_DENIED,
  unavailable: FX.FAILURE,
  range_not_satisfiable: FX.FAILURE,
  precondition_failed: FX.FAILURE,
  not_implemented: FX.OP_UNSUPPORTED,
};

/**
 * The ingress's one error mapper: a domain or storage error becomes its SSH_FX_* code and its
 * message (written for the person at the client); anything else is logged with its stack and
 * answered with a plain failure, never the stack.
 */
export function toStatus(err: unknown, logger: Logger, context: Record<string, unknown>): { status: FxCode; message: string } {
  if (err instanceof SftpRefusal) {
    return { status: err.status, message: err.message };
  }
  if (isStorageError(err)) {
    if (err.failure === 'unavailable') {
      logger.warn({ msg: 'storage unavailable', ...context, detail: err.operatorDetail });
    }
    return { status: err.failure === 'unsupported' ? FX.OP_UNSUPPORTED : BY_KIND[err.kind], message: err.message };
  }
  if (isDomainError(err)) {
    return { status: BY_KIND[err.kind], message: err.message };
  }
  logger.error({ msg: 'SFTP request failed', ...context, err: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined });
  return { status: FX.FAILURE, message: 'The gateway could not complete this request; try again, or ask your administrator to look at its log.' };
}
