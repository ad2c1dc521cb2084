import { Body, Controller, Get, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppConfigService } from '@mft/config';
import { SAML_REQUEST_TTL_SECONDS, SamlLoginService, type SamlAcsForm } from '@mft/identity';
import { accessContext, AuthGuard, ErrorAudience, Public, safeReturnTo, setSessionCookie } from '@mft/web';

/**
 * The browser's own secret for SAML sign-ins, when the service binds them (behind TLS only).
 * SameSite=None, because the IdP posts the response from its own site, and a Lax cookie would not
 * come with it; browsers keep SameSite=None cookies only when they are Secure. One value serves
 * every tab.
 */
const BROWSER_COOKIE = 'mft_saml';
const BROWSER_COOKIE_PATH = '/auth/saml/';

/**
 * SAML 2.0 sign-in as a service provider. The first configured IdP answers at /auth/saml/{metadata,
 * login,acs}; every IdP also at /auth/saml/<id>/{metadata,login,acs}. The IdP posts its response
 * to the ACS from its own site, so the ACS needs no CSRF token: the signed, single-use response
 * answering a request this gateway issued is the proof.
 */
@ApiExcludeController()
@UseGuards(AuthGuard)
@ErrorAudience('staff')
@Controller('auth/saml')
export class SamlController {
  constructor(
    private readonly saml: SamlLoginService,
    private readonly config: AppConfigService,
  ) {}

  @Get('metadata')
  @Public()
  metadata(@Res() res: Response): void {
    this.sendMetadata(undefined, res);
  }

  @Get(':provider/metadata')
  @Public()
  providerMetadata(@Param('provider') provider: string, @Res() res: Response): void {
    this.sendMetadata(provider, res);
  }

  @Get('login')
  @Public()
  async login(@Query('returnTo') returnTo: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.startLogin(undefined, returnTo, req, res);
  }

  @Get(':provider/login')
  @Public()
  async providerLogin(@Param('provider') provider: string, @Query('returnTo') returnTo: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.startLogin(provider, returnTo, req, res);
  }

  @Post('acs')
  @Public()
  async acs(@Body() form: SamlAcsForm, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.finishLogin(undefined, form, req, res);
  }

  @Post(':provider/acs')
  @Public()
  async providerAcs(@Param('provider') provider: string, @Body() form: SamlAcsForm, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.finishLogin(provider, form, req, res);
  }

  private sendMetadata(provider: string | undefined, res: Response): void {
    const xml = this.saml.metadata(provider);
    res.type('application/samlmetadata+xml').send(xml);
  }

  private async startLogin(provider: string | undefined, returnTo: unknown, req: Request, res: Response): Promise<void> {
    const started = await this.saml.authorizeUrl(provider, returnTo === undefined ? null : safeReturnTo(returnTo), browserSecret(req));
    if (started.browser) {
      res.cookie(BROWSER_COOKIE, started.browser, { httpOnly: true, secure: true, sameSite: 'none', path: BROWSER_COOKIE_PATH, maxAge: SAML_REQUEST_TTL_SECONDS * 1000 });
    }
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, started.url);
  }

  private async finishLogin(provider: string | undefined, form: SamlAcsForm | undefined, req: Request, res: Response): Promise<void> {
    const body = form ?? {};
    const done = await this.saml.complete(provider, body, accessContext(req, 'anonymous'), browserSecret(req));
    setSessionCookie(res, done.sessionId, this.config.behindTls);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, safeReturnTo(body.RelayState));
  }
}

/** The browser's SAML secret, when it sent a well-formed one. */
function browserSecret(req: Request): string | null {
  const value = (req.cookies as Record<string, string> | undefined)?.[BROWSER_COOKIE];
  return typeof value === 'string' && /^[\w-]{43}$/.test(value) ? value : null;
}
