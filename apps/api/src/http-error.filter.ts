import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { beginErrorResponse } from '@mft/web';

/** The API's one error mapper: status + stable code + a message a person can act on; never a stack. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  readonly #logger = new Logger('HttpError');

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const body = beginErrorResponse(res, err, this.#logger);
    if (body) {
      res.json(body);
    }
  }
}
