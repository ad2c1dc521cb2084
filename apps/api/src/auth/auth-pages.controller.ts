import { Controller, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RefusalAuditService } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { ForbiddenError } from '@mft/core';
import { CsrfTokens, SessionService } from '@mft/identity';
import { accessContext, AuthGuard, clearSessionCookie, ErrorAudience, loginCsrfToken, Public, sessionCookieOf, Views } from '@mft/web';

/** The sign-in page (choose an identity provider, or the local administrator), and sign-out. */
@ApiExcludeController()
@UseGuards(AuthGuard)
@ErrorAudience('staff')
@Controller('auth')
export class AuthPagesController {
  constructor(
    private readonly views: Views,
    private readonly config: AppConfigService,
    private readonly sessions: SessionService,
    private readonly refusals: RefusalAuditService,
    private readonly csrf: CsrfTokens,
  ) {}


  @Get('login')
  @Public()
  login(@Req() req: Request, @Res() res: Response): void {
    const auth = this.config.values.auth;
    // The page asked for before sign-in (only a path of the staff app) is carried through the provider.
    const returnTo = appReturnTo(req.query.returnTo);
    const query = returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : '';
    const providers = [
      ...auth.oidc.map((p, i) => ({ name: p.name, href: `${i === 0 ? '/auth/oidc/login' : `/auth/oidc/${p.id}/login`}${query}` })),
      ...auth.saml.map((p, i) => ({ name: p.name, href: `${i === 0 ? '/auth/saml/login' : `/auth/saml/${p.id}/login`}${query}` })),
    ];
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(
      this.views.render('login', {
        title: 'Sign in',
        providers,
        localEnabled: auth.localAdmin.enabled,
        csrf: loginCsrfToken(req, res, this.csrf, this.config.behindTls),
        error: typeof req.query.error === 'string' ? loginError(req.query.error) : null,
      }),
    );
  }

  /** Where a browser lands after signing in. */
  @Get('me')
  @Public()
  async me(@Req() req: Request, @Res() res: Response): Promise<void> {
    const raw = sessionCookieOf(req);
    const session = await this.sessions.resolve(raw);
    if (!session || session.stage !== 'full') {
      res.redirect(303, '/auth/login');
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(
      this.views.render('signed-in', { title: 'Signed in', username: session.user.username, roles: session.user.roles.join(', '), csrf: session.csrf }),
    );
  }

  @Post('logout')
  @Public()
  @HttpCode(303)
  async logout(@Req() req: Request, @Res() res: Response): Promise<void> {
    const raw = sessionCookieOf(req);
    const session = await this.sessions.resolve(raw);
    if (session) {
      const sent = req.get('x-csrf-token') ?? (req.body as Record<string, unknown> | undefined)?._csrf;
      if (!this.sessions.csrfValid(raw!, sent)) {
        await this.refusals.record(accessContext(req, `user:${session.user.username}`), { type: 'auth.csrf_failed', details: { route: 'POST /auth/logout' } });
        throw new ForbiddenError('csrf_invalid', 'This sign-out form has expired. Reload the page and try again.');
      }
      await this.sessions.end(raw, accessContext(req, `user:${session.user.username}`));
    }
    clearSessionCookie(res, this.config.behindTls);
    res.redirect(303, '/auth/login');
  }
}

/** A same-origin path of the staff app (`/app` or under it), or null: never another site or page. */
function appReturnTo(value: unknown): string | null {
  return typeof value === 'string' && /^\/app(?:\/[\w\-./]*)?$/.test(value) && !value.includes('..') && !value.includes('//') ? value : null;
}

function loginError(code: string): string {
  switch (code) {
    case 'locked':
      return 'Too many failed attempts: this account is locked for a while.';
    case 'expired':
      return 'The sign-in took too long. Start again.';
    default:
      return 'Sign-in failed. Try again.';
  }
}
