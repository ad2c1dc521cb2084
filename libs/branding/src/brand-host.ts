import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** The host name a request was made to (Express's `req.hostname`: `X-Forwarded-Host` only from trusted proxies). */
export const requestHost = new AsyncLocalStorage<string>();

/**
 * Remembers each request's host name for the rest of its handling, so that whatever renders for it
 * (a page, an error page, the theme, the logo) shows the brand served on that host.
 */
@Injectable()
export class BrandHostMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    requestHost.run((req.hostname ?? '').toLowerCase(), next);
  }
}
