import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { beginErrorResponse, STATUS_TITLE, Views, wantsJson } from '@mft/web';

const ADVICE: Record<number, string> = {
  401: 'Enter the password the sender gave you on the link page.',
  404: 'Check that you opened the whole link from your message. If it still fails, ask the sender to send it again.',
  409: 'If you started this download yourself in another browser or device, finish it there. Otherwise ask the sender for a new link.',
  410: 'Ask the sender to send you a new link if you still need the files.',
  429: 'Wait a few minutes before trying again.',
  503: 'Try again in a moment.',
};

/** What to do next; for a link that is gone, whom to ask by name. */
function adviceFor(status: number, body: Record<string, unknown>): string | undefined {
  const sender = body.sender as { name?: string; email?: string | null } | undefined;
  if (status === 410 && sender?.name) {
    const who = sender.email ? `${sender.name} (${sender.email})` : sender.name;
    return `If you still need the files, ask ${who}, who sent you this link, to send them again.`;
  }
  if (body.code === 'email_verification_locked') {
    return sender?.name ? `Ask ${sender.name} to send you the link again.` : 'Ask the sender to send you the link again.';
  }
  return ADVICE[status];
}

/** The portal's one error mapper: a human page for browsers, JSON for scripts, the same status for both. */
@Catch()
export class PortalErrorFilter implements ExceptionFilter {
  readonly #logger = new Logger('PortalError');
  constructor(private readonly views: Views) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const body = beginErrorResponse(res, err, this.#logger);
    if (!body) {
      return;
    }
    const status = res.statusCode;
    res.setHeader('Cache-Control', 'no-store');
    if (req.method === 'HEAD') {
      res.end();
    } else if (wantsJson(req)) {
      res.json(body);
    } else {
      res.type('html').send(
        this.views.render('error', {
          title: STATUS_TITLE[status] ?? 'Something went wrong',
          message: body.message,
          advice: adviceFor(status, body),
          status,
          code: body.code,
          correlationId: body.correlationId,
        }),
      );
    }
  }
}
