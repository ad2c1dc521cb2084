import { Injectable, SetMetadata } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { ErrorResponse } from './error-response.js';
import { wantsJson } from './error-response.js';
import { STATUS_TITLE } from './error-status.js';
import { Views } from './views.js';

/**
 * Who reads the errors of a controller: `api` (JSON in the contract's shape, the default), `recipient`
 * (a human page for people opening a link, JSON when asked) or `staff` (the sign-in and staff pages,
 * JSON when asked). Errors raised outside any controller (unknown routes, unreadable bodies) are `api`.
 */
export type ErrorAudience = 'api' | 'recipient' | 'staff';

export const ERROR_AUDIENCE_KEY = 'mft:error-audience';

/** Declares the audience of a controller's errors (see `WebErrorFilter`). */
export const ErrorAudience = (audience: ErrorAudience): ClassDecorator => SetMetadata(ERROR_AUDIENCE_KEY, audience);

/** Writes a mapped error (status and headers already set on `res`) for one audience. */
export interface ErrorRenderer {
  render(req: Request, res: Response, body: ErrorResponse['body']): void;
}

/** API clients: the contract's JSON body `{ code, message, ... }`. */
@Injectable()
export class ApiErrorRenderer implements ErrorRenderer {
  render(_req: Request, res: Response, body: ErrorResponse['body']): void {
    res.json(body);
  }
}

const RECIPIENT_ADVICE: Record<number, string> = {
  401: 'Enter the password the sender gave you on the link page.',
  404: 'Check that you opened the whole link from your message. If it still fails, ask the sender to send it again.',
  409: 'If you started this download yourself in another browser or device, finish it there. Otherwise ask the sender for a new link.',
  410: 'Ask the sender to send you a new link if you still need the files.',
  429: 'Wait a few minutes before trying again.',
  503: 'Try again in a moment.',
};

/** What a recipient can do next; for a link that is gone, whom to ask by name. */
function recipientAdvice(status: number, body: Record<string, unknown>): string | undefined {
  const sender = body.sender as { name?: string; email?: string | null } | undefined;
  if (status === 410 && sender?.name) {
    const who = sender.email ? `${sender.name} (${sender.email})` : sender.name;
    return `If you still need the files, ask ${who}, who sent you this link, to send them again.`;
  }
  if (body.code === 'email_verification_locked') {
    return sender?.name ? `Ask ${sender.name} to send you the link again.` : 'Ask the sender to send you the link again.';
  }
  return RECIPIENT_ADVICE[status];
}

/** Recipients: a human page with advice for browsers, JSON for scripts, the same status for both. */
@Injectable()
export class RecipientPageRenderer implements ErrorRenderer {
  constructor(private readonly views: Views) {}

  render(req: Request, res: Response, body: ErrorResponse['body']): void {
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
          advice: recipientAdvice(status, body),
          status,
          code: body.code,
          correlationId: body.correlationId,
        }),
      );
    }
  }
}

/** The sign-in and staff pages: a human page for browsers (JSON when asked), never a stack trace. */
@Injectable()
export class StaffPageRenderer implements ErrorRenderer {
  constructor(private readonly views: Views) {}

  render(req: Request, res: Response, body: ErrorResponse['body']): void {
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
