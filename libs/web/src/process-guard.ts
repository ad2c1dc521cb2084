import { randomUUID } from 'node:crypto';

/** Where the guard reports; the gateway passes its JSON logger. */
export interface GuardLogger {
  error(message: Record<string, unknown>): void;
}

/**
 * Keeps a serving gateway alive when an error escapes every handler: an `error` event nobody
 * listens to (in practice a stream of one request) or a rejected promise nobody awaits. Node's
 * default is to end the process, which ends every transfer in flight for everyone. State that
 * matters lives in the database, in transactions, and staged uploads are swept by the maintenance
 * job, so one request's failure cannot leave the rest inconsistent; the error is logged loudly,
 * with a correlation id, as the bug it is. Installed once the gateway serves: a failure during
 * start-up still ends the process.
 */
export function installProcessGuard(logger: GuardLogger): void {
  const report = (err: unknown, origin: string): void => {
    const e = err instanceof Error ? (err as Error & { code?: unknown }) : null;
    logger.error({
      msg: 'uncaught error; the gateway keeps serving',
      correlationId: randomUUID(),
      origin,
      name: e?.name,
      code: typeof e?.code === 'string' ? e.code : undefined,
      message: e ? e.message : String(err),
      stack: e?.stack,
    });
  };
  process.on('uncaughtException', (err, origin) => report(err, origin));
  process.on('unhandledRejection', (reason) => report(reason, 'unhandledRejection'));
}
