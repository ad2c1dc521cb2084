import { Body, Controller, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import QRCode from 'qrcode';
import { z } from 'zod';
import { RefusalAuditService } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { ForbiddenError, isDomainError } from '@mft/core';
import { CsrfTokens, LocalAdminService, SessionService, type SessionStage, type User } from '@mft/identity';
import { accessContext, AuthGuard, ErrorAudience, loginCsrfToken, loginCsrfValid, Public, sessionCookieOf, setSessionCookie, Views } from '@mft/web';

const loginForm = z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(1024), _csrf: z.string().optional() });
const WRONG_ENROLMENT_CODE =
  'That code is not right. Check that the authenticator shows the code for this account (the key above) and that the time on this device is right, then type the code it shows now.';
const codeForm = z.object({ code: z.string().min(1).max(64), _csrf: z.string().optional() });

/**
 * Sign-in of the local break-glass administrator: password, then TOTP (enrolled at the first
 * sign-in, with recovery codes). Each step starts a new session, so the session id rotates.
 */
@ApiExcludeController()
@UseGuards(AuthGuard)
@ErrorAudience('staff')
@Controller('auth/local')
export class LocalAdminController {
  constructor(
    private readonly refusals: RefusalAuditService,
    private readonly local: LocalAdminService,
    private readonly sessions: SessionService,
    private readonly views: Views,
    private readonly config: AppConfigService,
    private readonly csrf: CsrfTokens,
  ) {}


  @Post('login')
  @Public()
  async login(@Body({ schema: loginForm }) body: z.infer<typeof loginForm>, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.local.assertEnabled();
    if (!loginCsrfValid(req, this.csrf, body._csrf)) {
      await this.refusals.record(accessContext(req, `user:${body.username.slice(0, 100)}`), { type: 'auth.csrf_failed', details: { route: 'POST /auth/local/login' } });
      throw new ForbiddenError('csrf_invalid', 'This sign-in form has expired. Reload the page and try again.');
    }
    const ctx = accessContext(req, `user:${body.username.slice(0, 100)}`);
    try {
      const { user, next } = await this.local.checkPassword(body.username, body.password, ctx);
      await this.startStage(req, res, user, next);
      res.redirect(303, next === 'totp' ? '/auth/local/totp' : '/auth/local/enroll');
    } catch (err) {
      if (isDomainError(err) && (err.kind === 'unauthenticated' || err.kind === 'rate_limited')) {
        this.renderLogin(req, res, err.kind === 'rate_limited' ? 429 : 401, err.message, err.details.retryAfterSeconds);
        return;
      }
      throw err;
    }
  }

  @Get('enroll')
  @Public()
  async enrollPage(@Req() req: Request, @Res() res: Response): Promise<void> {
    const { raw, user } = await this.pending(req, 'totp_enroll');
    await this.renderEnroll(res, raw, user, 200);
  }

  @Post('enroll')
  @HttpCode(200)
  @Public()
  async enroll(@Body({ schema: codeForm }) body: z.infer<typeof codeForm>, @Req() req: Request, @Res() res: Response): Promise<void> {
    const { raw, user } = await this.pending(req, 'totp_enroll', body._csrf);
    const ctx = accessContext(req, `user:${user.username}`);
    let codes: string[];
    try {
      codes = await this.local.confirmEnrollment(user.id, body.code.replace(/\s+/g, ''), ctx);
    } catch (err) {
      // A wrong code keeps the enrolment (and its secret) pending: the person tries again.
      if (isDomainError(err) && (err.kind === 'unauthenticated' || err.kind === 'rate_limited')) {
        if (typeof err.details.retryAfterSeconds === 'number') {
          res.setHeader('Retry-After', String(err.details.retryAfterSeconds));
        }
        const message = err.kind === 'rate_limited' ? err.message : WRONG_ENROLMENT_CODE;
        await this.renderEnroll(res, raw, user, err.kind === 'rate_limited' ? 429 : 401, message);
        return;
      }
      throw err;
    }
    await this.sessions.end(raw, ctx);
    await this.startStage(req, res, user, 'full');
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(this.views.render('recovery-codes', { title: 'Recovery codes', codes }));
  }

  @Get('totp')
  @Public()
  async totpPage(@Req() req: Request, @Res() res: Response): Promise<void> {
    const { raw } = await this.pending(req, 'totp');
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(this.views.render('totp', { title: 'Authenticator code', csrf: this.sessions.csrfFor(raw) }));
  }

  @Post('totp')
  @Public()
  async totp(@Body({ schema: codeForm }) body: z.infer<typeof codeForm>, @Req() req: Request, @Res() res: Response): Promise<void> {
    const { raw, user } = await this.pending(req, 'totp', body._csrf);
    const ctx = accessContext(req, `user:${user.username}`);
    try {
      await this.local.checkSecondFactor(user.id, body.code, ctx);
    } catch (err) {
      if (isDomainError(err) && (err.kind === 'unauthenticated' || err.kind === 'rate_limited')) {
        res.status(err.kind === 'rate_limited' ? 429 : 401).type('html');
        if (typeof err.details.retryAfterSeconds === 'number') {
          res.setHeader('Retry-After', String(err.details.retryAfterSeconds));
        }
        res.send(this.views.render('totp', { title: 'Authenticator code', csrf: this.sessions.csrfFor(raw), error: err.message }));
        return;
      }
      throw err;
    }
    await this.sessions.end(raw, ctx);
    await this.startStage(req, res, user, 'full');
    res.redirect(303, '/app');
  }

  /** The half-signed-in session of this browser at `stage`; CSRF-checked when `csrf` is given. */
  private async pending(req: Request, stage: SessionStage, csrf?: string): Promise<{ raw: string; user: User }> {
    this.local.assertEnabled();
    const raw = sessionCookieOf(req);
    const session = await this.sessions.resolve(raw);
    if (!raw || !session || session.stage !== stage) {
      throw new ForbiddenError('login_step_out_of_order', 'This sign-in step has expired. Start again at /auth/login.');
    }
    if (req.method === 'POST' && !this.sessions.csrfValid(raw, csrf)) {
      await this.refusals.record(accessContext(req, `user:${session.user.username}`), { type: 'auth.csrf_failed', details: { route: `POST ${req.path}` } });
      throw new ForbiddenError('csrf_invalid', 'This form has expired. Reload the page and try again.');
    }
    return { raw, user: session.user };
  }

  /** The enrolment page: the pending secret as a QR code, as text and as a link, and the code form. */
  private async renderEnroll(res: Response, raw: string, user: User, status: number, error?: string): Promise<void> {
    const { secret, uri } = await this.local.beginEnrollment(user.id, raw);
    const qr = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, width: 200, color: { dark: '#000000', light: '#ffffff' } });
    res.status(status).setHeader('Cache-Control', 'no-store');
    res.type('html').send(
      this.views.render('enroll', { title: 'Set up two-factor sign-in', secret, uri, qr, username: user.username, error, csrf: this.sessions.csrfFor(raw) }),
    );
  }

  private async startStage(req: Request, res: Response, user: User, stage: SessionStage): Promise<void> {
    const raw = await this.sessions.start(user, 'local', stage, accessContext(req, `user:${user.username}`));
    setSessionCookie(res, raw, this.config.behindTls);
  }

  private renderLogin(req: Request, res: Response, status: number, error: string, retryAfter: unknown): void {
    if (typeof retryAfter === 'number') {
      res.setHeader('Retry-After', String(retryAfter));
    }
    res.status(status).setHeader('Cache-Control', 'no-store');
    res.type('html').send(
      this.views.render('login', {
        title: 'Sign in',
        providers: [],
        localEnabled: true,
        csrf: loginCsrfToken(req, res, this.csrf, this.config.behindTls),
        error,
      }),
    );
  }
}
