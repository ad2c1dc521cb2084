import type { LoggerService } from '@nestjs/common';
import { pino, type Logger } from 'pino';

/** Structured JSON logs (one object a line) for the whole process. */
export class JsonLogger implements LoggerService {
  readonly pino: Logger;
  constructor(level: string) {
    this.pino = pino({
      level,
      base: { service: 'mft-gateway', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Storage connection secrets never reach a log line; these paths are a second line of defence.
      redact: {
        paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'secrets', '*.secrets', 'secretAccessKey', '*.secretAccessKey', 'privateKey', '*.privateKey', 'passphrase', '*.passphrase'],
        censor: '[redacted]',
      },
    });
  }
  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace', message: unknown, rest: unknown[]): void {
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    if (message && typeof message === 'object' && !(message instanceof Error)) {
      this.pino[level]({ context, ...(message as object) });
    } else if (message instanceof Error) {
      this.pino[level]({ context, err: { message: message.message, stack: message.stack } });
    } else {
      const stack = level === 'error' && typeof rest[0] === 'string' && rest.length > 1 ? rest[0] : undefined;
      this.pino[level]({ context, ...(stack ? { stack } : {}) }, String(message));
    }
  }
  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
}
