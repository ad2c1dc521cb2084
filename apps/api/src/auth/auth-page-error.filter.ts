import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { beginErrorResponse, STATUS_TITLE, Views, wantsJson } from '@mft/web';

/** Sign-in pages answer browsers with a human page (JSON when asked), never a stack trace. */
@Catch()
export class AuthPageErrorFilter implements ExceptionFilter {
  readonly #logger = new Logger('AuthError');
  constructor(private readonly views: Views) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const body = beginErrorResponse(res, err, this.#logger);
    if (!body) {
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    if (wantsJson(req)) {
      res.json(body);
      return;
    }
    const status = res.statusCode;
    res.type('html').send(
      this.views.render('error', {
        title: status === 401 ? 'Sign-in failed' : (STATUS_TITLE[status] ?? 'Something went wrong'),
        message: body.message,
        status,
        code: body.code,
        correlationId: body.correlationId,
      }),
    );
  }
}
