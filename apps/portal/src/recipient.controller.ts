import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Body, Controller, Get, Head, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ZipArchive } from 'archiver';
import { create as contentDisposition } from 'content-disposition';
import type { Request, Response } from 'express';
import { AppConfigService } from '@mft/config';
import { ForbiddenError, InvalidInputError, NotFoundError } from '@mft/core';
import { EmailVerificationService, RecipientAccessService, type DeliveredRange, type DownloadTicket, type GrantAccess, type LinkFile, type RecipientRequest } from '@mft/links';
import { StorageService } from '@mft/storage';
import { parseRange } from './byte-range.js';
import { PortalErrorFilter } from './portal-error.filter.js';
import { csrfToken, csrfValid, issueRecipientSession, recipientSession } from './recipient-session.js';
import { accessContext, formatBytes, formatDate, fromBrowser, Views, wantsJson } from '@mft/web';


/** Email link scanners and browsers announce speculative loads; those never count as a view. */
function isPrefetch(req: Request): boolean {
  const purpose = `${req.get('sec-purpose') ?? ''} ${req.get('purpose') ?? ''} ${req.get('x-purpose') ?? ''} ${req.get('x-moz') ?? ''}`.toLowerCase();
  return /prefetch|prerender|preview/.test(purpose);
}

/** Mistakes on the recipient forms, shown on the page after the redirect (keyed by error code). */
const FORM_ERRORS: Record<string, string> = {
  link_password_incorrect: 'That password is not correct. Try again.',
  password_missing: 'Enter the password of this link.',
  email_invalid: 'Enter a valid email address, such as name@example.com.',
  email_code_incorrect: 'That code is not right. Check the latest email and try again.',
  email_code_expired: 'That code has expired. Ask for a new code.',
  email_code_used: 'That code has already been used. Ask for a new code.',
  email_code_not_requested: 'Ask for a code first: enter your email address.',
};

const etagOf = (file: LinkFile): string => `"sha256-${file.sha256}"`;

/** Zip entry names: no directories, no traversal, unique. */
function zipNames(files: readonly LinkFile[]): string[] {
  const seen = new Map<string, number>();
  return files.map((f) => {
    let name = f.name.replace(/[/\\]/g, '_').replace(/^\.+/, '_') || 'file';
    const n = seen.get(name.toLowerCase()) ?? 0;
    seen.set(name.toLowerCase(), n + 1);
    if (n > 0) {
      const dot = name.lastIndexOf('.');
      name = dot > 0 ? `${name.slice(0, dot)} (${n + 1})${name.slice(dot)}` : `${name} (${n + 1})`;
    }
    return name;
  });
}

/** The recipient side of a grant: its page, its unlock form and its downloads. */
@ApiExcludeController()
@UseFilters(PortalErrorFilter)
@Controller('l/:token')
export class RecipientController {
  constructor(
    private readonly access: RecipientAccessService,
    private readonly verification: EmailVerificationService,
    private readonly storage: StorageService,
    private readonly views: Views,
    private readonly config: AppConfigService,
  ) {}

  private request(req: Request, res: Response, token: string): RecipientRequest {
    const session = recipientSession(req, res, this.config.secretKey, this.config.behindTls);
    const header = req.get('x-link-password');
    return { token, session, ctx: accessContext(req, 'recipient'), password: header ?? null };
  }

  @Get()
  async landing(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const r = this.request(req, res, token);
    const prefetch = req.method === 'HEAD' || isPrefetch(req);
    const view = await this.access.landing(r, { prefetch });
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('Vary', 'Accept, Cookie');
    if (wantsJson(req)) {
      res.json({
        expiresAt: view.expiresAt,
        locked: view.locked,
        ...(view.emailStep ? { emailVerification: { step: view.emailStep, codeSentTo: view.codeSentTo } } : {}),
        oneTime: view.link.oneTime,
        remainingDownloads: view.remainingDownloads,
        files: view.files.map((f) => ({ id: f.id, name: f.name, size: f.size, sha256: f.sha256 })),
      });
      return;
    }
    const total = view.files.reduce((n, f) => n + f.size, 0);
    const limit = view.remainingDownloads;
    res.type('html').send(
      this.views.render('landing', {
        title: 'Files shared with you',
        base: `/l/${token}`,
        sender: view.link.ownerDisplayName,
        recipient: view.grant.recipient,
        message: view.link.message,
        expiresAt: view.expiresAt,
        expiresAtText: view.expiresAt ? formatDate(view.expiresAt) : null,
        oneTime: view.link.oneTime,
        remainingText: !view.link.oneTime && limit !== null ? `${limit} download${limit === 1 ? '' : 's'} left.` : null,
        locked: view.locked.length > 0,
        needsPassword: view.locked.includes('password'),
        emailStep: view.emailStep,
        askEmail: view.emailStep === 'ask' || (view.emailStep === 'code' && req.query.change === 'email'),
        askCode: view.emailStep === 'code' && req.query.change !== 'email',
        emailLocked: view.emailStep === 'locked',
        codeSentTo: view.codeSentTo,
        codeMinutes: Math.round(this.config.emailVerification.codeTtlSeconds / 60),
        verifiedEmail: view.verifiedEmail,
        error: typeof req.query.error === 'string' ? (FORM_ERRORS[req.query.error] ?? null) : null,
        csrf: csrfToken(this.config.secretKey, r.session),
        files: view.files.map((f) => ({ ...f, sizeText: formatBytes(f.size) })),
        single: view.files.length === 1,
        totalText: formatBytes(total),
      }),
    );
  }

  @Post('unlock')
  async unlock(@Param('token') token: string, @Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.form(token, body, req, res, 204, async (r, fields) => {
      if (typeof fields.password !== 'string' || fields.password.length === 0) {
        throw new InvalidInputError('password_missing', 'Enter the password of this link.');
      }
      return (await this.access.unlock(r, fields.password)).session;
    });
  }

  /** Email verification, step one: answers 202 whether or not the address may open the link. */
  @Post('email')
  async requestEmailCode(@Param('token') token: string, @Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.form(token, body, req, res, 202, async (r, fields) => {
      await this.verification.requestCode(r, fields.email);
    });
  }

  /** Email verification, step two: 204 and a new session that carries the verified email, or 401 / 429. */
  @Post('email/code')
  async verifyEmailCode(@Param('token') token: string, @Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.form(token, body, req, res, 204, async (r, fields) => (await this.verification.verifyCode(r, fields.code)).session);
  }

  /**
   * The recipient forms, posted by the page in a browser (form-encoded, CSRF-checked, answered with
   * a redirect back to the page, which shows any mistake) or by a script (JSON or form-encoded, no
   * `Origin` or `Sec-Fetch-Site`, answered with `status`). A cross-site post always comes from a
   * browser, so it always needs the token of the page's own session. An action that proves
   * something (unlock, verification) returns the new session id it moved the session to, which
   * replaces the cookie; the page after the redirect carries the new session's CSRF token.
   */
  private async form(
    token: string,
    body: unknown,
    req: Request,
    res: Response,
    status: number,
    action: (r: RecipientRequest, fields: Record<string, unknown>) => Promise<string | null | void>,
  ): Promise<void> {
    const r = this.request(req, res, token);
    const fields = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const browserForm = fromBrowser(req) && !req.is('application/json');
    if (browserForm && !csrfValid(this.config.secretKey, r.session, fields._csrf)) {
      throw new ForbiddenError('csrf_invalid', 'This form has expired. Reload the page and try again.');
    }
    const browser = browserForm && !wantsJson(req);
    try {
      const rotated = await action(r, fields);
      if (rotated) {
        issueRecipientSession(res, this.config.secretKey, this.config.behindTls, rotated);
      }
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (browser && code && code in FORM_ERRORS) {
        res.redirect(303, `/l/${token}?error=${code}`);
        return;
      }
      throw err;
    }
    if (browser) {
      res.redirect(303, `/l/${token}`);
    } else {
      res.status(status).setHeader('Cache-Control', 'no-store');
      res.end();
    }
  }

  @Head('files/:fileId')
  async headFile(@Param('token') token: string, @Param('fileId') fileId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const r = this.request(req, res, token);
    const access = await this.access.authorize(r);
    const file = this.fileOf(access, fileId);
    this.fileHeaders(res, file);
    res.setHeader('Content-Length', String(file.size));
    res.status(200).end();
  }

  @Get('files/:fileId')
  async download(@Param('token') token: string, @Param('fileId') fileId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const r = this.request(req, res, token);
    if (isPrefetch(req)) {
      res.setHeader('Cache-Control', 'no-store');
      res.status(503).setHeader('Retry-After', '0');
      res.end();
      return;
    }
    const access = await this.access.authorize(r);
    const file = this.fileOf(access, fileId);
    const ifRange = req.get('if-range');
    const range = ifRange && ifRange !== etagOf(file) ? { kind: 'full' as const } : parseRange(req.get('range'), file.size);
    this.fileHeaders(res, file);
    if (range.kind === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${file.size}`);
      res.status(416).json({ code: 'range_not_satisfiable', message: `The file has ${file.size} bytes; the requested range is outside it.` });
      return;
    }
    const start = range.kind === 'partial' ? range.start : 0;
    const end = range.kind === 'partial' ? range.end : file.size - 1;
    const ticket = await this.access.beginDownload(access, { fileId: file.id, range: range.kind === 'partial' ? `${start}-${end}` : null });
    const length = Math.max(0, end - start + 1);
    const driver = this.storage.driver(access.link.storageConnection);
    let source: Readable;
    try {
      source = length === 0 ? Readable.from([]) : await driver.openRead(file.storageKey, { start, end });
    } catch (err) {
      await this.access.recordDelivery(ticket, [{ fileId: file.id, start, end: start, complete: false }]);
      throw err;
    }
    if (range.kind === 'partial') {
      res.status(206).setHeader('Content-Range', `bytes ${start}-${end}/${file.size}`);
    } else {
      res.status(200);
    }
    res.setHeader('Content-Length', String(length));
    const delivered = await this.stream(source, res, ticket);
    await this.access.recordDelivery(ticket, [
      { fileId: file.id, start, end: start + (delivered.complete ? length : Math.min(length, delivered.bytes)), complete: delivered.complete },
    ]);
  }

  @Get('archive')
  async archive(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const r = this.request(req, res, token);
    if (isPrefetch(req)) {
      res.status(503).setHeader('Retry-After', '0');
      res.end();
      return;
    }
    const access = await this.access.authorize(r);
    const ticket = await this.access.beginDownload(access, { fileId: null, range: null });
    const driver = this.storage.driver(access.link.storageConnection);
    const zip = new ZipArchive({ store: true, forceZip64: access.files.reduce((n, f) => n + f.size, 0) > 0xfffffff0 });
    const names = zipNames(access.files);
    res.status(200);
    res.setHeader('Content-Type', 'application/zip');
    res.setHeader('Content-Disposition', contentDisposition(`files-${access.link.id.slice(0, 8)}.zip`));
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const feeding = (async () => {
      for (const [i, f] of access.files.entries()) {
        const stream = f.size === 0 ? Readable.from([]) : await driver.openRead(f.storageKey);
        await new Promise<void>((resolve, reject) => {
          zip.once('entry', () => resolve());
          zip.once('error', reject);
          zip.append(stream, { name: names[i]!, date: access.link.createdAt });
        });
      }
      await zip.finalize();
    })();
    feeding.catch((err: unknown) => zip.destroy(err instanceof Error ? err : new Error(String(err))));
    const delivered = await this.stream(zip, res, ticket);
    await feeding.catch(() => undefined);
    // An archive counts only when it was delivered whole; an interrupted one is recorded (and
    // audited) as one interrupted transfer that delivered no file.
    const ranges: DeliveredRange[] = delivered.complete
      ? access.files.map((f) => ({ fileId: f.id, start: 0, end: f.size, complete: true }))
      : [{ fileId: access.files[0]!.id, start: 0, end: 0, complete: false }];
    await this.access.recordDelivery(ticket, ranges);
  }

  private fileOf(access: GrantAccess, fileId: string): LinkFile {
    const file = access.files.find((f) => f.id === fileId);
    if (!file) {
      throw new NotFoundError('file_not_found', 'This link has no such file. Go back to the link page for the list of files.');
    }
    return file;
  }

  private fileHeaders(res: Response, file: LinkFile): void {
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Disposition', contentDisposition(file.name, { type: 'attachment' }));
    res.setHeader('ETag', etagOf(file));
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Repr-Digest', `sha-256=:${Buffer.from(file.sha256, 'hex').toString('base64')}:`);
  }

  /**
   * Pipes a body to the client, keeping the claim alive. Returns whether the response finished and,
   * if not, roughly how many body bytes left this process (never fewer than the client received).
   */
  private async stream(source: Readable, res: Response, ticket: DownloadTicket): Promise<{ complete: boolean; bytes: number }> {
    let read = 0;
    source.on('data', (chunk: Buffer) => {
      read += chunk.length;
    });
    // Well inside the grace period, so a live download never loses its claim to another session.
    const every = Math.min(30_000, (this.config.links.claimGraceSeconds * 1000) / 3);
    const timer = setInterval(() => void this.access.heartbeat(ticket).catch(() => undefined), every);
    try {
      await pipeline(source, res);
      return { complete: true, bytes: read };
    } catch {
      const buffered = res.writableLength + (res.socket?.writableLength ?? 0);
      return { complete: false, bytes: Math.max(0, read - buffered) };
    } finally {
      clearInterval(timer);
    }
  }
}
