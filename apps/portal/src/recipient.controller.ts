import { Body, Controller, Get, Head, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { create as contentDisposition } from 'content-disposition';
import type { Request, Response } from 'express';
import { BrandingService } from '@mft/branding';
import { AppConfigService } from '@mft/config';
import { ForbiddenError, InvalidInputError } from '@mft/core';
import { CsrfTokens } from '@mft/identity';
import {
  EmailVerificationService,
  RecipientAccessService,
  RecipientDownloads,
  ShareBrowser,
  type DownloadRepresentation,
  type DownloadTarget,
  type LandingView,
  type ShareFolderView,
  type OpenedDownload,
  type RecipientRequest,
  type RequestedRange,
  type RunningDownload,
} from '@mft/links';
import { parseRange } from './byte-range.js';
import { accessContext, ErrorAudience, formatBytes, formatDate, fromBrowser, issueRecipientSession, recipientSession, Views, wantsJson } from '@mft/web';


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

/** What the JSON answer of a link's page says of every kind of link, before its files or entries. */
function landingJson(view: LandingView): Record<string, unknown> {
  return {
    expiresAt: view.expiresAt,
    locked: view.locked,
    ...(view.emailStep ? { emailVerification: { step: view.emailStep, codeSentTo: view.codeSentTo } } : {}),
    oneTime: view.link.oneTime,
    remainingDownloads: view.remainingDownloads,
  };
}

/** "3 downloads left." for a link with a download limit (a one-time link says so elsewhere on the page). */
function remainingText(view: LandingView): string | null {
  const limit = view.remainingDownloads;
  return !view.link.oneTime && limit !== null ? `${limit} download${limit === 1 ? '' : 's'} left.` : null;
}

/** The recipient side of a grant: its page, its unlock form and its downloads. */
@ApiExcludeController()
@ErrorAudience('recipient')
@Controller('l/:token')
export class RecipientController {
  constructor(
    private readonly access: RecipientAccessService,
    private readonly downloads: RecipientDownloads,
    private readonly verification: EmailVerificationService,
    private readonly views: Views,
    private readonly config: AppConfigService,
    private readonly shares: ShareBrowser,
    private readonly csrf: CsrfTokens,
    private readonly branding: BrandingService,
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
    // On another brand's domain, the link is sent to its own brand's domain before it counts as opened.
    if (await this.toOwnBrand(r, req, res)) {
      return;
    }
    const view = await this.access.landing(r, { prefetch });
    // A share link's page: its folder's entries or its file as it is now, once unlocked (a refusal is a page of its own).
    const share = view.link.kind === 'share' ? await this.shares.shareOf(view.link) : null;
    const shared = share && view.locked.length === 0 ? await this.shares.view(view.link, req.query as Record<string, unknown>) : null;
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('Vary', 'Accept, Cookie');
    if (share?.target === 'folder') {
      this.folderPage(req, res, token, r, view, shared?.target === 'folder' ? shared : null);
      return;
    }
    const sharedFile = shared?.target === 'file' ? shared : null;
    if (wantsJson(req)) {
      res.json({
        ...landingJson(view),
        files: share
          ? view.files.map((f) => ({ id: f.id, name: f.name, size: sharedFile?.size ?? f.size, modifiedAt: sharedFile?.modifiedAt ?? null }))
          : view.files.map((f) => ({ id: f.id, name: f.name, size: f.size, sha256: f.sha256 })),
      });
      return;
    }
    const total = view.files.reduce((n, f) => n + f.size, 0);
    res.type('html').send(
      this.views.render('landing', {
        ...this.lockContext(req, token, r, view),
        title: 'Files shared with you',
        remainingText: remainingText(view),
        files: view.files.map((f) => ({ ...f, size: sharedFile?.size ?? f.size, sizeText: formatBytes(sharedFile?.size ?? f.size) })),
        single: view.files.length === 1,
        totalText: formatBytes(sharedFile?.size ?? total),
        sharedFile: sharedFile ? { modifiedAt: sharedFile.modifiedAt, modifiedText: formatDate(sharedFile.modifiedAt) } : null,
      }),
    );
  }

  /** The page of a folder share: JSON per the contract, or the folder's entries with breadcrumbs and paging. */
  private folderPage(req: Request, res: Response, token: string, r: RecipientRequest, view: LandingView, folder: ShareFolderView | null): void {
    if (wantsJson(req)) {
      res.json({
        ...landingJson(view),
        path: folder?.path ?? '/',
        entries: folder?.entries ?? [],
        next: folder?.next ?? null,
      });
      return;
    }
    const base = `/l/${token}`;
    const limit = typeof req.query.limit === 'string' ? `&limit=${encodeURIComponent(req.query.limit)}` : '';
    const here = folder ? `${base}?path=${encodeURIComponent(folder.path)}` : base;
    res.type('html').send(
      this.views.render('landing', {
        ...this.lockContext(req, token, r, view),
        title: 'Files shared with you',
        remainingText: remainingText(view),
        folder: folder
          ? {
              atRoot: folder.path === '/',
              rootName: 'Shared folder',
              encodedPath: encodeURIComponent(folder.path),
              breadcrumbs: folder.breadcrumbs.map((b, i) => ({ ...b, encodedPath: encodeURIComponent(b.path), last: i === folder.breadcrumbs.length - 1 })),
              entries: folder.entries.map((e) => ({
                ...e,
                isFolder: e.kind === 'folder',
                encodedPath: encodeURIComponent(e.path),
                sizeText: formatBytes(e.size),
                modifiedText: e.modifiedAt === null ? null : formatDate(e.modifiedAt),
              })),
              singleEntry: folder.entries.length === 1,
              nextHref: folder.next ? `${here}&cursor=${encodeURIComponent(folder.next)}${limit}` : null,
              firstHref: typeof req.query.cursor === 'string' && req.query.cursor !== '' ? `${here}${limit}` : null,
            }
          : null,
      }),
    );
  }

  /** What the page needs for its locks and its header, for any kind of link. */
  private lockContext(req: Request, token: string, r: RecipientRequest, view: LandingView): Record<string, unknown> {
    return {
      base: `/l/${token}`,
      sender: view.link.ownerDisplayName,
      recipient: view.grant.recipient,
      message: view.link.message,
      expiresAt: view.expiresAt,
      expiresAtText: view.expiresAt ? formatDate(view.expiresAt) : null,
      oneTime: view.link.oneTime,
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
      csrf: this.csrf.issue('recipient-page', r.session),
    };
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
    if (browserForm && !this.csrf.verify('recipient-page', r.session, fields._csrf)) {
      await this.access.csrfRefused(r, `POST /l/:token/${req.path.split('/').slice(3).join('/')}`);
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
    await this.head(token, req, res, { kind: 'file', fileId });
  }

  @Get('files/:fileId')
  async download(@Param('token') token: string, @Param('fileId') fileId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.get(token, req, res, { kind: 'file', fileId });
  }

  /**
   * The archive's headers only, with its exact length: Express would otherwise answer HEAD with the
   * GET route, which claims (and, with no body to send, consumes).
   */
  @Head('archive')
  async headArchive(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.head(token, req, res, { kind: 'archive', path: req.query.path });
  }

  /** Its exact length and ETag are known before any byte, so a Range (checked with If-Range) resumes it like a file. */
  @Get('archive')
  async archive(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.get(token, req, res, { kind: 'archive', path: req.query.path });
  }

  /** One file of a folder share (`?path=/sub/x.pdf`, relative to the shared folder): its headers only, claiming nothing. */
  @Head('download')
  async headShareFile(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.head(token, req, res, shareEntry(req));
  }

  /** One file of a folder share (`?path=/sub/x.pdf`), with Range, through the same download use case as a send link's files. */
  @Get('download')
  async downloadShareFile(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.get(token, req, res, shareEntry(req));
  }

  /**
   * A grant URL (its page, a file, an archive) opened on another brand's domain is sent to the same
   * path on its own brand's domain, before anything is recorded or claimed; true when it was.
   */
  private async toOwnBrand(r: RecipientRequest, req: Request, res: Response): Promise<boolean> {
    if (!this.branding.servesDomain(req.hostname)) {
      return false;
    }
    const probe = await this.access.landing(r, { prefetch: true });
    const elsewhere = await this.branding.redirectFor(probe.link.ownerId, req.hostname, req.originalUrl);
    if (!elsewhere) {
      return false;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, elsewhere);
    return true;
  }

  /** A download's headers, with its length where it is known, claiming nothing. */
  private async head(token: string, req: Request, res: Response, target: DownloadTarget): Promise<void> {
    const r = this.request(req, res, token);
    if (await this.toOwnBrand(r, req, res)) {
      return;
    }
    const { representation } = await this.downloads.prepare(r, target);
    validatorHeaders(res, representation);
    bodyHeaders(res, representation);
    if (representation.size !== null) {
      res.setHeader('Content-Length', String(representation.size));
    }
    res.status(200).end();
  }

  /**
   * A download: a speculative load (a link scanner, a prerender) is told to come back, without
   * claiming anything; otherwise the bytes asked for. The headers that make the answer a file come
   * only once the download is open, so that a refusal (409, 410, a changed share) is shown as a page.
   */
  private async get(token: string, req: Request, res: Response, target: DownloadTarget): Promise<void> {
    const r = this.request(req, res, token);
    if (await this.toOwnBrand(r, req, res)) {
      return;
    }
    if (isPrefetch(req)) {
      res.setHeader('Cache-Control', 'no-store');
      res.status(503).setHeader('Retry-After', '0');
      res.end();
      return;
    }
    const prepared = await this.downloads.prepare(r, target);
    await respond(res, await this.downloads.open(prepared, requestedRange(req, prepared.representation)));
  }
}

const shareEntry = (req: Request): DownloadTarget => ({ kind: 'share-entry', path: req.query.path });


/** The part of a representation that the request asks for: its `Range`, unless `If-Range` names other bytes. */
function requestedRange(req: Request, representation: DownloadRepresentation): RequestedRange {
  if (!representation.ranges || representation.size === null) {
    return { kind: 'full' };
  }
  const ifRange = req.get('if-range');
  if (ifRange && ifRange !== representation.etag) {
    return { kind: 'full' };
  }
  const range = parseRange(req.get('range'), representation.size);
  return ifRange && range.kind === 'partial' ? { ...range, validated: true } : range;
}

/** What identifies the representation (and that it takes ranges), on every answer about it. */
function validatorHeaders(res: Response, representation: DownloadRepresentation): void {
  if (representation.etag !== null) {
    res.setHeader('ETag', representation.etag);
  }
  if (representation.ranges) {
    res.setHeader('Accept-Ranges', 'bytes');
  }
  res.setHeader('Cache-Control', 'private, no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
}

/** What makes the answer a file to save: only on answers that carry (or, for HEAD, describe) its bytes. */
function bodyHeaders(res: Response, representation: DownloadRepresentation): void {
  res.setHeader('Content-Type', representation.contentType);
  res.setHeader('Content-Disposition', contentDisposition(representation.name, { type: 'attachment' }));
  if (representation.sha256 !== null) {
    res.setHeader('Repr-Digest', `sha-256=:${Buffer.from(representation.sha256, 'hex').toString('base64')}:`);
  }
}

/** Answers an opened download: a 416 naming the size, or the body, after which the download is told what reached the client. */
async function respond(res: Response, opened: OpenedDownload): Promise<void> {
  const { representation } = opened;
  validatorHeaders(res, representation);
  if (opened.status === 416) {
    res.setHeader('Content-Range', `bytes */${representation.size}`);
    res.status(416).json({ code: 'range_not_satisfiable', message: `The file has ${representation.size} bytes; the requested range is outside it.` });
    return;
  }
  let complete = false;
  try {
    bodyHeaders(res, representation);
    res.status(opened.status);
    if (opened.range) {
      res.setHeader('Content-Range', `bytes ${opened.range.start}-${opened.range.end}/${representation.size}`);
    }
    if (opened.length !== null) {
      res.setHeader('Content-Length', String(opened.length));
    }
    complete = await pipe(opened, res);
  } finally {
    await opened.finish({ complete });
  }
}

/**
 * Sends a download's body, telling the download about each chunk once it has been handed to the
 * network (written to the socket: never fewer bytes than the client received), and ends the
 * response when the download is cut. Resolves whether the response finished.
 */
async function pipe(download: RunningDownload, res: Response): Promise<boolean> {
  const { body, signal, sent } = download;
  const cut = (): void => {
    res.destroy();
  };
  signal.addEventListener('abort', cut, { once: true });
  if (signal.aborted) {
    cut();
  }
  try {
    const finished = await new Promise<boolean>((resolve) => {
      let settled = false;
      const done = (ok: boolean): void => {
        if (!settled) {
          settled = true;
          resolve(ok);
        }
      };
      // Destroyed with an error, so that whatever feeds the body (the archive's files) stops too.
      const fail = (): void => {
        done(false);
        body.destroy(new Error('the response ended before its last byte'));
        res.destroy();
      };
      body.on('error', fail);
      res.on('error', fail);
      res.on('close', () => (res.writableFinished ? done(true) : fail()));
      res.on('finish', () => done(true));
      res.on('drain', () => body.resume());
      body.on('end', () => res.end());
      // Writes call back in order: one callback for all of them, and the chunks in flight in a queue
      // (a few at most: the body pauses as soon as the socket has a chunk to write), so that a
      // chunk costs no closure of its own.
      const inFlight: Buffer[] = [];
      const written = (err?: Error | null): void => {
        const chunk = inFlight.shift();
        if (!err && chunk !== undefined) {
          sent(chunk);
        }
      };
      body.on('data', (chunk: Buffer) => {
        inFlight.push(chunk);
        if (!res.write(chunk, written)) {
          body.pause();
        }
      });
    });
    // Write callbacks of a cut connection settle on the next turns of the loop.
    await new Promise((r) => setImmediate(r));
    return finished;
  } finally {
    signal.removeEventListener('abort', cut);
  }
}
