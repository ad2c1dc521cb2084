import { Readable } from 'node:stream';
import { Body, Controller, Get, Head, Logger, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ZipArchive } from 'archiver';
import { create as contentDisposition } from 'content-disposition';
import type { Request, Response } from 'express';
import { AppConfigService } from '@mft/config';
import { ForbiddenError, InvalidInputError, isDomainError, NotFoundError } from '@mft/core';
import { EmailVerificationService, RecipientAccessService, type DeliveredRange, type DownloadCutReason, type DownloadTicket, type GrantAccess, type LinkFile, type RecipientRequest } from '@mft/links';
import { StorageService } from '@mft/storage';
import { parseRange } from './byte-range.js';
import { PortalErrorFilter } from './portal-error.filter.js';
import { ZipEntryTracker } from './zip-progress.js';
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
  readonly #logger = new Logger('Download');
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
      throw this.access.missingCopy(ticket, file, err);
    }
    if (range.kind === 'partial') {
      res.status(206).setHeader('Content-Range', `bytes ${start}-${end}/${file.size}`);
    } else {
      res.status(200);
    }
    res.setHeader('Content-Length', String(length));
    const sent = await this.stream(source, res, ticket, (flushed) => [{ fileId: file.id, start, end: start + Math.min(length, flushed), complete: false }]);
    if (sent.cut) {
      await this.access.recordCut(ticket, file.id, sent.cut);
    }
    await this.access.recordDelivery(ticket, [
      { fileId: file.id, start, end: start + (sent.complete ? length : Math.min(length, sent.flushed)), complete: sent.complete },
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
    const open = async (f: LinkFile): Promise<Readable> => {
      try {
        return f.size === 0 ? Readable.from([]) : await driver.openRead(f.storageKey);
      } catch (err) {
        throw this.access.missingCopy(ticket, f, err);
      }
    };
    // The first copy is opened before the answer starts, so that a missing one is answered as the fault it is.
    let first: Readable;
    try {
      first = await open(access.files[0]!);
    } catch (err) {
      await this.access.recordDelivery(ticket, [{ fileId: access.files[0]!.id, start: 0, end: 0, complete: false }]);
      throw err;
    }
    const zip = new ZipArchive({ store: true, forceZip64: access.files.reduce((n, f) => n + f.size, 0) > 0xfffffff0 });
    // A copy failing before the archive takes it must end the archive, not the process.
    first.on('error', (err) => zip.destroy(err));
    const names = zipNames(access.files);
    res.status(200);
    res.setHeader('Content-Type', 'application/zip');
    res.setHeader('Content-Disposition', contentDisposition(`files-${access.link.id.slice(0, 8)}.zip`));
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const feeding = (async () => {
      for (const [i, f] of access.files.entries()) {
        const stream = i === 0 ? first : await open(f);
        if (i > 0) {
          stream.on('error', (err) => zip.destroy(err));
        }
        if (zip.destroyed) {
          // The response ended while the next copy was being opened.
          stream.destroy();
          return;
        }
        await new Promise<void>((resolve, reject) => {
          zip.once('entry', () => resolve());
          zip.once('error', reject);
          zip.append(stream, { name: names[i]!, date: access.link.createdAt });
        });
      }
      await zip.finalize();
    })();
    feeding.catch((err: unknown) => {
      // A copy that failed mid-archive (the client hanging up also ends the feeding, after the response).
      if (!res.destroyed && !isDomainError(err)) {
        this.#logger.error({ msg: 'archive failed', linkId: access.link.id, err: err instanceof Error ? err.message : String(err) });
      }
      zip.destroy(err instanceof Error ? err : new Error(String(err)));
    });
    // Store mode copies each file's bytes unchanged, so the bytes that reached the client say
    // exactly which entries (and how much of the one in progress) were delivered.
    const tracker = new ZipEntryTracker(access.files.map((f) => f.size));
    const deliveredBy = (flushed: number): DeliveredRange[] => {
      const progress = tracker.progress(flushed);
      return access.files.flatMap((f, i) => (progress[i]!.bytes > 0 || progress[i]!.complete ? [{ fileId: f.id, start: 0, end: progress[i]!.bytes, complete: progress[i]!.complete }] : []));
    };
    const sent = await this.stream(zip, res, ticket, deliveredBy, (chunk) => tracker.observe(chunk));
    await feeding.catch(() => undefined);
    if (sent.cut) {
      await this.access.recordCut(ticket, null, sent.cut);
    }
    let ranges: DeliveredRange[];
    if (sent.complete) {
      ranges = access.files.map((f) => ({ fileId: f.id, start: 0, end: f.size, complete: true }));
    } else {
      ranges = deliveredBy(sent.flushed);
      if (ranges.length === 0) {
        ranges = [{ fileId: access.files[0]!.id, start: 0, end: 0, complete: false }];
      }
    }
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
   * Sends a body to the client, keeping the claim alive and ending the transfer once the grant may
   * no longer be downloaded. Returns whether the response finished, how many body bytes were handed
   * to the network (written to the socket: never fewer than the client received), and why the
   * transfer was cut, if it was.
   */
  private async stream(
    source: Readable,
    res: Response,
    ticket: DownloadTicket,
    deliveredBy: (flushed: number) => readonly DeliveredRange[],
    onChunk?: (chunk: Buffer) => void,
  ): Promise<{ complete: boolean; flushed: number; cut: DownloadCutReason | null }> {
    let flushed = 0;
    let cut: DownloadCutReason | null = null;
    const links = this.config.links;
    // Well inside the grace period, so a live download never loses its claim to another session.
    const every = Math.min(links.heartbeatSeconds * 1000, (links.claimGraceSeconds * 1000) / 3);
    const timer = setInterval(() => {
      void this.access
        .heartbeat(ticket)
        .then(async (reason) => {
          if (reason === null) {
            await this.access.recordProgress(ticket, deliveredBy(flushed));
          }
          return reason;
        })
        .then((reason) => {
          if (reason && cut === null && !res.writableFinished) {
            cut = reason;
            res.destroy();
            source.destroy(new Error(`download cut: ${reason}`));
          }
        })
        .catch(() => undefined);
    }, every);
    try {
      const finished = await new Promise<boolean>((resolve) => {
        let settled = false;
        const done = (ok: boolean): void => {
          if (!settled) {
            settled = true;
            resolve(ok);
          }
        };
        // Destroyed with an error, so that whatever feeds the source (the archive's files) stops too.
        const fail = (): void => {
          done(false);
          source.destroy(new Error('the response ended before its last byte'));
          res.destroy();
        };
        source.on('error', fail);
        res.on('error', fail);
        res.on('close', () => (res.writableFinished ? done(true) : fail()));
        res.on('finish', () => done(true));
        res.on('drain', () => source.resume());
        source.on('end', () => res.end());
        source.on('data', (chunk: Buffer) => {
          onChunk?.(chunk);
          const n = chunk.length;
          const written = res.write(chunk, (err) => {
            if (!err) {
              flushed += n;
            }
          });
          if (!written) {
            source.pause();
          }
        });
      });
      // Write callbacks of a cut connection settle on the next turns of the loop.
      await new Promise((r) => setImmediate(r));
      return { complete: finished && cut === null, flushed, cut };
    } finally {
      clearInterval(timer);
    }
  }
}
