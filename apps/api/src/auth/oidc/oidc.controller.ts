import { Controller, Get, Param, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppConfigService } from '@mft/config';
import { OIDC_FLOW_TTL_SECONDS, OidcLoginService } from '@mft/identity';
import { accessContext, AuthGuard, ErrorAudience, Public, safeReturnTo, setSessionCookie } from '@mft/web';

/** Binds one round trip to the browser that started it; only its SHA-256 is stored. */
const FLOW_COOKIE = 'mft_oidc';
const FLOW_COOKIE_PATH = '/auth/oidc/';

/** Before sign-in nobody is known; failed attempts are recorded under this actor. */
const ANONYMOUS = 'anonymous';

/**
 * OpenID Connect sign-in: `/auth/oidc/login` and `/auth/oidc/callback` for the first configured
 * provider, `/auth/oidc/<id>/login` and `/auth/oidc/<id>/callback` for the others.
 */
@ApiExcludeController()
@UseGuards(AuthGuard)
@ErrorAudience('staff')
@Controller('auth/oidc')
export class OidcController {
  constructor(
    private readonly oidc: OidcLoginService,
    private readonly config: AppConfigService,
  ) {}

  @Get('login')
  @Public()
  login(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.start(undefined, req, res);
  }

  @Get('callback')
  @Public()
  callback(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.finish(undefined, req, res);
  }

  @Get(':provider/login')
  @Public()
  loginWith(@Param('provider') provider: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.start(provider, req, res);
  }

  @Get(':provider/callback')
  @Public()
  callbackOf(@Param('provider') provider: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.finish(provider, req, res);
  }


  private async start(providerId: string | undefined, req: Request, res: Response): Promise<void> {
    const started = await this.oidc.begin(providerId, safeReturnTo(req.query.returnTo), accessContext(req, ANONYMOUS));
    // SameSite=Lax: the provider sends the browser back with a top-level GET, which carries it.
    res.cookie(FLOW_COOKIE, started.flowId, { httpOnly: true, sameSite: 'lax', secure: this.config.behindTls, path: FLOW_COOKIE_PATH, maxAge: OIDC_FLOW_TTL_SECONDS * 1000 });
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, started.redirectUrl);
  }

  private async finish(providerId: string | undefined, req: Request, res: Response): Promise<void> {
    const flowId = (req.cookies as Record<string, string> | undefined)?.[FLOW_COOKIE];
    // The round trip is used up whatever the outcome, so the cookie goes on error pages too.
    res.clearCookie(FLOW_COOKIE, { httpOnly: true, sameSite: 'lax', secure: this.config.behindTls, path: FLOW_COOKIE_PATH });
    const at = req.originalUrl.indexOf('?');
    const signedIn = await this.oidc.complete({ providerId, flowId, query: at < 0 ? '' : req.originalUrl.slice(at + 1) }, accessContext(req, ANONYMOUS));
    setSessionCookie(res, signedIn.sessionId, this.config.behindTls);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, signedIn.returnTo);
  }
}
