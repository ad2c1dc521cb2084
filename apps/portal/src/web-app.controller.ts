import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { projectRoot } from '@mft/config';
import { NotFoundError } from '@mft/core';
import { SessionService } from '@mft/identity';
import { sessionCookieOf } from '@mft/web';

/** Where `npm run build` writes the staff app (Vite's output). */
export const WEB_APP_DIR = join(projectRoot(), 'dist', 'apps', 'portal', 'web');

const ASSET_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  woff2: 'font/woff2',
};

/**
 * The staff web app: `GET /` sends a signed-in person to it and anyone else to sign in; every path
 * under /app answers its index.html (so a deep link or a reload works), never cached; its assets
 * have hashed names and are cached for a year.
 */
@Controller('app')
export class WebAppController {
  #index: Buffer | null = null;

  @Get('assets/:name')
  asset(@Param('name') name: string, @Res() res: Response): void {
    const match = /^[\w-]+\.(js|css|svg|png|woff2)$/.exec(name);
    const file = match ? join(WEB_APP_DIR, 'assets', name) : null;
    if (!match || !file || !existsSync(file)) {
      throw new NotFoundError('asset_not_found', 'There is no such file of the web app. Reload the page to get the current version.');
    }
    res.setHeader('Content-Type', ASSET_TYPES[match[1]!]!);
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const stream = createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }

  @Get(['', '*path'])
  index(@Res() res: Response): void {
    this.#index ??= readIndex();
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(this.#index);
  }
}

function readIndex(): Buffer {
  const file = join(WEB_APP_DIR, 'index.html');
  if (!existsSync(file)) {
    throw new NotFoundError('web_app_not_built', 'The staff web app is not built: run "npm run build".');
  }
  return readFileSync(file);
}

/** `GET /`: a signed-in person goes to the staff app, anyone else to the sign-in page. */
@Controller()
export class RootController {
  constructor(private readonly sessions: SessionService) {}

  @Get()
  async root(@Req() req: Request, @Res() res: Response): Promise<void> {
    const session = await this.sessions.resolve(sessionCookieOf(req));
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, session?.stage === 'full' ? '/app' : '/auth/login');
  }
}
