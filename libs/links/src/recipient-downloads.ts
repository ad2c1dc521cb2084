import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { Injectable, Logger } from '@nestjs/common';
import { AuditService, type AuditEventInput } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { Clock, ConflictError, DomainError, GoneError, NotFoundError, TooLargeError } from '@mft/core';
import { Database } from '@mft/db';
import { PolicyService } from '@mft/policy';
import { StoragePath, StorageService, type ByteRange, type StorageDriver } from '@mft/storage';
import { assertGrantUsable, downloadLimit, grantEndReason, type Grant, type Link, type LinkFile } from './link.js';
import { LinkNotices } from './link-notices.js';
import { GrantRepository } from './repositories/grant.repository.js';
import { LinkRepository } from './repositories/link.repository.js';
import { PooledFileBody } from './pooled-file-body.js';
import { RecipientAccessService, sessionHash, type GrantAccess, type RecipientRequest } from './recipient-access.service.js';
import { ArchiveEntryChangedError, archiveCoverage, openArchiveRange, planArchive, type ArchivePlan } from './archive/index.js';
import { changedAsConflict, ResolvedShare, shareEntryNotFound, sharePathParam, shareResumeChanged, shareTargetMissing } from './share-paths.js';
import { ShareLinksRepository } from './share-links.repository.js';

/**
 * What a recipient downloads: one file of the grant, or all of its files as one archive. Of a folder
 * share: one file of the folder (`share-entry`), or the archive of the folder `path` (the shared
 * folder is `/`); paths are as the recipient sent them, checked here.
 */
export type DownloadTarget =
  | { readonly kind: 'file'; readonly fileId: string }
  | { readonly kind: 'archive'; readonly path?: unknown }
  | { readonly kind: 'share-entry'; readonly path: unknown };

/** The part of a representation a client asked for, already read against its size (an HTTP `Range`, an SFTP read). */
export type RequestedRange =
  | { readonly kind: 'full' }
  | {
      readonly kind: 'partial';
      readonly start: number;
      readonly end: number;
      /** Whether the client named the representation it resumes (`If-Range` with its ETag). */
      readonly validated?: boolean;
    }
  | { readonly kind: 'unsatisfiable' };

/** What a download delivers, known before its first byte: enough to answer HEAD and to read a Range against. */
export interface DownloadRepresentation {
  /** The name to save it under. */
  readonly name: string;
  readonly contentType: string;
  /** Its length in bytes, or null when that is known only once it has been written (the archive). */
  readonly size: number | null;
  /** A strong validator of its bytes (compared with `If-Range`), or null when it has none. */
  readonly etag: string | null;
  /** The hex SHA-256 of its bytes, when known in advance. */
  readonly sha256: string | null;
  /** Whether a part of it can be served. */
  readonly ranges: boolean;
}

/** A download the request may make: the grant is live and unlocked, nothing is claimed yet. Pass it to `open`. */
export interface PreparedDownload {
  readonly representation: DownloadRepresentation;
  readonly access: GrantAccess;
  /** The file downloaded, or null for the archive of all of them. */
  readonly file: LinkFile | null;
  /** The archive's layout (entry `i` is file `i` of the grant), or null for a single file. */
  readonly archive: ArchivePlan | null;
  /** Where the bytes of a share link's file come from, and the version they must still have. */
  readonly source?: ShareSource;
  /** The files of a folder share's archive (instead of the grant's files). */
  readonly shareArchive?: ShareArchive;
  /** What a share link's download is of (`file`, `file:<path>`, `archive:<path>`) and at which version, for resumed ranges. */
  readonly resume?: { readonly target: string; readonly version: string; readonly what: 'file' | 'archive' };
}

/** A share link's file: read from its connection (scoped to the shared folder), at the version described. */
interface ShareSource {
  readonly driver: StorageDriver;
  readonly key: StoragePath;
  readonly version: string;
}

/** The archive of a folder (or subfolder) of a folder share. */
interface ShareArchive {
  readonly files: readonly LinkFile[];
  /** Entry names: paths inside the archived folder. */
  readonly names: readonly string[];
  readonly versions: ReadonlyMap<string, string>;
  readonly driver: StorageDriver;
  /** Whether it is the archive of the whole shared folder (which, delivered, is a completed download). */
  readonly whole: boolean;
}

/** Why a running download was ended: its grant ended meanwhile, or its sender reset the claim. */
export type DownloadCutReason = 'revoked' | 'expired' | 'consumed' | 'ended' | 'reset';

/** The reason of a running download's abort signal, and the error its body is destroyed with. */
export class DownloadCutError extends GoneError {
  constructor(readonly reason: DownloadCutReason) {
    super('download_cut', `This download was stopped because the link may no longer be downloaded (${reason}).`, { reason });
  }
}

/**
 * A download whose bytes may flow. The transport sends `body` to the client, tells `sent` about
 * every chunk that reached the client, ends the transfer when `signal` aborts, and calls `finish`
 * exactly once, when it is done (also when it failed before the first byte).
 */
export interface RunningDownload {
  readonly status: 200 | 206;
  readonly representation: DownloadRepresentation;
  /** The inclusive range of the representation that the body holds (206), or null for all of it. */
  readonly range: ByteRange | null;
  /** The body's length in bytes, or null when it is known only at its end (the archive). */
  readonly length: number | null;
  readonly body: Readable;
  /** Aborted (with a `DownloadCutError`) when the grant may no longer be downloaded: the transport must then end the transfer. */
  readonly signal: AbortSignal;
  /**
   * Counts the next bytes of the body, in order, once they have reached the client. Cheap: once per
   * chunk, allocating nothing. The chunk's memory may be reused for later bytes of the body once
   * this is called: the transport must not touch it afterwards.
   */
  readonly sent: (chunk: Buffer) => void;
  /** Records what reached the client (`complete`: every byte of the body); may count a completed download and consume the grant. */
  finish(outcome: { readonly complete: boolean }): Promise<void>;
}

/** A range outside the representation: nothing is claimed or sent (HTTP 416). */
export interface UnsatisfiableDownload {
  readonly status: 416;
  readonly representation: DownloadRepresentation;
}

export type OpenedDownload = RunningDownload | UnsatisfiableDownload;

/** A download under way: which cycle its bytes count towards. */
interface DownloadTicket {
  readonly access: GrantAccess;
  readonly cycleId: string;
  /** True when the grant has a download limit and this session holds its claim. */
  readonly claimed: boolean;
  readonly limit: number | null;
}

interface DeliveredRange {
  readonly fileId: string;
  /** First byte delivered. */
  readonly start: number;
  /** One past the last byte delivered. */
  readonly end: number;
  /** Whether the response carrying this range finished (false: the client went away). */
  readonly complete: boolean;
}

/** How the bytes of one body that reached the client map to delivered ranges of the grant's files. */
interface Accounting {
  /** The file of a single-file download, null for the archive (as the audit names it). */
  readonly fileId: string | null;
  readonly sent: (chunk: Buffer) => void;
  /** What the bytes sent so far deliver, while the transfer is under way. */
  soFar(): DeliveredRange[];
  /** What the transfer delivered once it ended. */
  final(complete: boolean): DeliveredRange[];
  /** Whether what the transfer delivered may complete a download (absent: always; the archive: once its last byte was delivered). */
  completes?(complete: boolean): boolean;
  /** Resolves once whatever feeds the body has stopped. */
  settled(): Promise<void>;
}

const etagOf = (file: LinkFile): string => `"sha256-${file.sha256}"`;

/** Zip entry names: no directories, no traversal, unique (also ignoring case, and also against a name that already reads "a (2).txt"). */
function zipNames(files: readonly LinkFile[]): string[] {
  const seen = new Set<string>();
  return files.map((f) => {
    const base = f.name.replace(/[/\\]/g, '_').replace(/^\.+/, '_') || 'file';
    let name = base;
    for (let n = 2; seen.has(name.toLowerCase()); n += 1) {
      const dot = base.lastIndexOf('.');
      name = dot > 0 ? `${base.slice(0, dot)} (${n})${base.slice(dot)}` : `${base} (${n})`;
    }
    seen.add(name.toLowerCase());
    return name;
  });
}

/**
 * The archive of a grant's files, in their order, each under its zip name. The entries' time is the
 * link's creation and their version the copy's SHA-256, so that every request gets the same bytes.
 */
function archivePlanOf(access: GrantAccess): ArchivePlan {
  const names = zipNames(access.files);
  return planArchive(access.files.map((f, i) => ({ name: names[i]!, size: f.size, modifiedAt: access.link.createdAt, version: f.sha256 })));
}

/**
 * Downloads of a grant, whatever the transport (the portal over HTTP now, the SFTP ingress later):
 * the claim of a limited grant, the stored copies, the archive of all files, the heartbeat that
 * keeps a claim alive and cuts a transfer whose grant ended, and the accounting of delivered bytes
 * that counts a completed download. Views never consume; the grant is consumed once every byte of
 * every file has been delivered to the claiming session.
 */
@Injectable()
export class RecipientDownloads {
  readonly #logger = new Logger('Download');

  constructor(
    private readonly access: RecipientAccessService,
    private readonly db: Database,
    private readonly links: LinkRepository,
    private readonly grants: GrantRepository,
    private readonly audit: AuditService,
    private readonly storage: StorageService,
    private readonly config: AppConfigService,
    private readonly clock: Clock,
    private readonly notices: LinkNotices,
    private readonly shares: ShareLinksRepository,
    private readonly policies: PolicyService,
  ) {}

  /** Authorizes the request (401/404/410 otherwise) and describes what it would download. Claims nothing. */
  async prepare(req: RecipientRequest, target: DownloadTarget): Promise<PreparedDownload> {
    const access = await this.access.authorize(req);
    if (access.link.kind === 'share') {
      return this.prepareShare(access, target);
    }
    if (target.kind === 'share-entry') {
      throw shareEntryNotFound();
    }
    if (target.kind === 'archive') {
      const archive = archivePlanOf(access);
      return {
        access,
        file: null,
        archive,
        representation: { name: `files-${access.link.id.slice(0, 8)}.zip`, contentType: 'application/zip', size: archive.size, etag: archive.etag, sha256: null, ranges: true },
      };
    }
    const file = access.files.find((f) => f.id === target.fileId);
    if (!file) {
      throw new NotFoundError('file_not_found', 'This link has no such file. Go back to the link page for the list of files.');
    }
    return {
      access,
      file,
      archive: null,
      representation: { name: file.name, contentType: 'application/octet-stream', size: file.size, etag: etagOf(file), sha256: file.sha256, ranges: true },
    };
  }

  /**
   * Starts delivering `range` of a prepared download (a file, or the archive of all of them): claims a limited
   * grant for the session (409 while another session holds it, 410 once used up), opens the stored
   * copies and starts the heartbeat. A stored copy that cannot be read fails here, before any byte.
   */
  async open(prepared: PreparedDownload, range: RequestedRange): Promise<OpenedDownload> {
    const { access, file, representation } = prepared;
    if (prepared.resume) {
      await this.checkResume(access, prepared.resume, range);
    }
    if (file === null) {
      return this.openArchive(access, prepared.archive ?? archivePlanOf(access), representation, range, prepared.shareArchive);
    }
    const start = range.kind === 'partial' ? range.start : 0;
    const end = range.kind === 'partial' ? range.end : file.size - 1;
    if (range.kind === 'unsatisfiable' || (range.kind === 'partial' && !(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end < file.size))) {
      return { status: 416, representation };
    }
    const ticket = await this.begin(access, { fileId: file.id, range: range.kind === 'partial' ? `${start}-${end}` : null });
    const length = Math.max(0, end - start + 1);
    const driver = prepared.source?.driver ?? (await this.storage.driver(access.link.storageConnection));
    let body: Readable;
    let release: (chunk: Buffer) => void = () => undefined;
    try {
      // A send link's stored copy, or a share link's file still at the version its link describes.
      const key = prepared.source?.key ?? file.storageKey;
      const expected = prepared.source ? { expectedVersion: prepared.source.version } : undefined;
      if (length === 0) {
        body = Readable.from([]);
      } else if (driver.openReader) {
        // Read into a few buffers that come back once their bytes reached the client: no buffer per chunk.
        const pooled = new PooledFileBody(await driver.openReader(key, expected), start, end + 1);
        release = pooled.release;
        body = pooled;
      } else {
        body = await driver.openRead(key, { start, end }, expected);
      }
    } catch (err) {
      await this.recordDelivery(ticket, [{ fileId: file.id, start, end: start, complete: false }]);
      throw this.missingCopy(ticket, file, err);
    }
    // Per chunk: one addition and the buffer handed back. What was delivered is one range, built only when asked for.
    let flushed = 0;
    const upTo = (complete: boolean): DeliveredRange[] => [{ fileId: file.id, start, end: start + (complete ? length : Math.min(length, flushed)), complete }];
    return this.run(ticket, {
      status: range.kind === 'partial' ? 206 : 200,
      representation,
      range: range.kind === 'partial' ? { start, end } : null,
      length,
      body,
      accounting: {
        fileId: file.id,
        sent: (chunk) => {
          flushed += chunk.length;
          release(chunk);
        },
        soFar: () => upTo(false),
        final: upTo,
        settled: () => Promise.resolve(),
      },
    });
  }

  /**
   * A share link's file or archive is read where it lives, and may change between two requests. A
   * download from the first byte records the version it started on (per grant and target); a range
   * that starts later, unless `If-Range` named the current version, is served only if that is still
   * the version, and is otherwise a 409: never the tail of another version after the head of one.
   * A range with no download started before it has nothing to be mixed with, and is served.
   */
  private async checkResume(access: GrantAccess, resume: NonNullable<PreparedDownload['resume']>, range: RequestedRange): Promise<void> {
    if (range.kind === 'unsatisfiable') {
      return;
    }
    if (range.kind === 'full' || range.start === 0) {
      await this.shares.recordStart(access.grant.id, resume.target, resume.version);
      return;
    }
    if (range.validated) {
      return;
    }
    const started = await this.shares.startedVersion(access.grant.id, resume.target);
    if (started !== null && started !== resume.version) {
      await this.audit.record(access.req.ctx, {
        type: 'download.refused',
        outcome: 'denied',
        linkId: access.link.id,
        grantId: access.grant.id,
        details: { code: 'share_content_changed', target: resume.target, range: `${range.start}-${range.end}` },
      });
      throw shareResumeChanged(resume.what);
    }
  }

  /**
   * `range` of the archive of every file of the grant: a store-mode ZIP64 whose every byte is known
   * from the plan, so that any range of it can be served (a resumed download gets the same bytes)
   * and the bytes that reached the client say exactly which bytes of which files were delivered.
   * The grant is consumed only by a response that delivered the archive's last byte, once every
   * byte of every file has reached the claimer (in this response or earlier ones).
   */
  private async openArchive(access: GrantAccess, plan: ArchivePlan, representation: DownloadRepresentation, range: RequestedRange, share?: ShareArchive): Promise<OpenedDownload> {
    const { link } = access;
    const files = share?.files ?? access.files;
    const start = range.kind === 'partial' ? range.start : 0;
    const end = range.kind === 'partial' ? range.end : plan.size - 1;
    if (range.kind === 'unsatisfiable' || (range.kind === 'partial' && !(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end < plan.size))) {
      return { status: 416, representation };
    }
    const ticket = await this.begin(access, { fileId: null, range: range.kind === 'partial' ? `${start}-${end}` : null });
    const driver = share?.driver ?? (await this.storage.driver(link.storageConnection));
    // The file where the range starts: an interruption before any of its bytes is audited against it.
    const at = files[plan.entries.find((e) => e.end > start)?.index ?? files.length - 1]!;
    const deliveredBy = (endExclusive: number, responseComplete: boolean): DeliveredRange[] => {
      const ranges: DeliveredRange[] = archiveCoverage(plan, start, endExclusive).map((c) => {
        const file = files[c.index]!;
        return { fileId: file.id, start: c.start, end: c.end, complete: responseComplete || c.end === file.size };
      });
      return ranges.length > 0 || responseComplete ? ranges : [{ fileId: at.id, start: 0, end: 0, complete: false }];
    };
    let started = false;
    const failed = (file: LinkFile, signal: AbortSignal) => (err: unknown): never => {
      // Before the first byte the transport answers the error itself; later it can only cut the transfer (unless it ended meanwhile).
      if (started && !signal.aborted) {
        this.#logger.error({ msg: 'archive failed', linkId: link.id, fileId: file.id, err: err instanceof Error ? err.message : String(err) });
      }
      throw err;
    };
    let body: Readable;
    try {
      // The first copy the range reads is opened before the answer starts, so that a missing one is answered as the fault it is.
      body = await openArchiveRange(plan, { start, end }, {
        open: (i, r, signal) => this.openCopy(driver, ticket, files[i]!, r, share?.versions.get(files[i]!.id)).catch(failed(files[i]!, signal)),
        crc32: (i, signal) => this.crcOf(driver, ticket, files[i]!, signal, share?.versions.get(files[i]!.id)).catch(failed(files[i]!, signal)),
      });
    } catch (err) {
      await this.recordDelivery(ticket, [{ fileId: at.id, start: 0, end: 0, complete: false }], { mayComplete: false });
      throw err;
    }
    started = true;
    const closed = new Promise<void>((resolve) => body.once('close', resolve));
    body.once('error', (err) => {
      if (err instanceof ArchiveEntryChangedError) {
        this.#logger.error({ msg: 'archive failed', linkId: link.id, fileId: files[err.entryIndex]?.id, err: err.message });
      }
    });
    let flushed = 0;
    return this.run(ticket, {
      status: range.kind === 'partial' ? 206 : 200,
      representation,
      range: range.kind === 'partial' ? { start, end } : null,
      length: end - start + 1,
      body,
      accounting: {
        fileId: null,
        sent: (chunk) => {
          flushed += chunk.length;
        },
        soFar: () => deliveredBy(start + flushed, false),
        final: (complete) => {
          if (complete && share?.whole && start === 0 && end + 1 === plan.size) {
            this.#wholeShareArchives.add(ticket);
          }
          return deliveredBy(complete ? end + 1 : start + flushed, complete);
        },
        completes: (complete) => (complete ? end + 1 : start + flushed) === plan.size,
        settled: () => (body.closed ? Promise.resolve() : closed),
      },
    });
  }

  private async openCopy(driver: StorageDriver, ticket: DownloadTicket, file: LinkFile, range?: ByteRange, expectedVersion?: string): Promise<Readable> {
    try {
      return file.size === 0 ? Readable.from([]) : await driver.openRead(file.storageKey, range, expectedVersion === undefined ? undefined : { expectedVersion });
    } catch (err) {
      throw this.missingCopy(ticket, file, err);
    }
  }

  /** The CRC-32 of a stored copy: recorded at upload, or (for copies stored before it was) read from the copy. */
  private async crcOf(driver: StorageDriver, ticket: DownloadTicket, file: LinkFile, signal: AbortSignal, expectedVersion?: string): Promise<number> {
    if (typeof file.crc32 === 'number') {
      return file.crc32;
    }
    const stream = await this.openCopy(driver, ticket, file, undefined, expectedVersion);
    const stop = (): void => {
      stream.destroy();
    };
    signal.addEventListener('abort', stop, { once: true });
    if (signal.aborted) {
      stop();
    }
    try {
      let crc = 0;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        crc = crc32(chunk, crc);
      }
      return crc >>> 0;
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  /**
   * Keeps the claim alive while the transport sends the body, ends the transfer once the grant may
   * no longer be downloaded, and records what was delivered when the transport finishes.
   */
  private run(
    ticket: DownloadTicket,
    d: { status: 200 | 206; representation: DownloadRepresentation; range: ByteRange | null; length: number | null; body: Readable; accounting: Accounting },
  ): RunningDownload {
    const { body, accounting } = d;
    // The transport listens too, once it has the body; until then an error must not end the process.
    body.on('error', () => undefined);
    const abort = new AbortController();
    let cut: DownloadCutReason | null = null;
    let finished = false;
    let beat: Promise<void> | null = null;
    /** Bytes the last recorded progress covered: a heartbeat writes only when the download moved on. */
    let recorded = 0;
    const links = this.config.links;
    // Well inside the grace period, so a live download never loses its claim to another session.
    const every = Math.min(links.heartbeatSeconds * 1000, (links.claimGraceSeconds * 1000) / 3);
    const timer = setInterval(() => {
      beat ??= this.heartbeat(ticket)
        .then(async (reason) => {
          if (reason === null) {
            // One constant-size write at most: the delivered range of each file so far (merged into one range per file).
            const progress = accounting.soFar();
            let bytes = 0;
            for (const r of progress) {
              bytes += r.end - r.start;
            }
            if (bytes !== recorded) {
              await this.recordProgress(ticket, progress);
              recorded = bytes;
            }
          } else if (cut === null && !finished) {
            cut = reason;
            const error = new DownloadCutError(reason);
            abort.abort(error);
            body.destroy(error);
          }
        })
        .catch(() => undefined)
        .finally(() => {
          beat = null;
        });
    }, every);
    return {
      status: d.status,
      representation: d.representation,
      range: d.range,
      length: d.length,
      body,
      signal: abort.signal,
      sent: accounting.sent,
      finish: async ({ complete }) => {
        if (finished) {
          return;
        }
        finished = true;
        clearInterval(timer);
        // Progress of a heartbeat under way lands before the final delivery, never after it.
        await beat;
        if (!complete) {
          // Whatever feeds the body (the archive's copies) stops too.
          body.destroy(new Error('the transfer ended before its last byte'));
        }
        await accounting.settled();
        // A cut that came once every byte had reached the client changed nothing.
        if (cut !== null && !complete) {
          await this.recordCut(ticket, accounting.fileId, cut);
        }
        await this.recordDelivery(ticket, accounting.final(complete), { mayComplete: accounting.completes?.(complete) ?? true });
      },
    };
  }

  /**
   * Starts delivering bytes. A limited grant is claimed for this session in one conditional
   * statement; another session gets 409 while the claim is live and 410 once the grant is used up.
   */
  private async begin(access: GrantAccess, what: { fileId: string | null; range: string | null }): Promise<DownloadTicket> {
    const { link, grant, req } = access;
    const limit = downloadLimit(link);
    const session = sessionHash(req.session);
    const events: AuditEventInput[] = [];
    let cycleId: string;
    if (limit === null) {
      cycleId = uuidFrom(`${session}:${grant.id}`);
    } else {
      const claim = await this.db.transaction(async () => {
        const result = await this.grants.claim(grant.id, session, randomUUID(), this.config.links.claimGraceSeconds);
        if (result?.displacedClaimId) {
          await this.grants.clearDeliveries(result.displacedClaimId);
          events.push({ type: 'grant.released', linkId: link.id, grantId: grant.id, details: { claimId: result.displacedClaimId, reason: 'claim idle past grace period, nothing delivered' } });
        }
        if (result?.fresh) {
          events.push({ type: 'grant.claimed', linkId: link.id, grantId: grant.id, details: { claimId: result.claimId } });
        }
        if (result && events.length > 0) {
          await this.audit.record(req.ctx, ...events.splice(0));
        }
        return result;
      });
      if (!claim) {
        const now = (await this.grants.findGrant(grant.id)) ?? grant;
        const fresh = await this.links.findLink(link.id);
        const refusal = fresh ? this.refusalFor(fresh, now) : new GoneError('link_ended', 'This link is no longer available.');
        await this.audit.record(req.ctx, {
          type: 'download.refused',
          outcome: 'denied',
          linkId: link.id,
          grantId: grant.id,
          fileId: what.fileId,
          details: { code: refusal.code },
        });
        throw refusal;
      }
      cycleId = claim.claimId;
    }
    await this.audit.record(req.ctx, {
      type: 'download.started',
      linkId: link.id,
      grantId: grant.id,
      fileId: what.fileId,
      details: what.fileId ? { range: what.range } : { archive: true, ...(what.range ? { range: what.range } : {}) },
    });
    return { access, cycleId, claimed: limit !== null, limit };
  }

  private refusalFor(link: Link, grant: Grant): GoneError | ConflictError {
    try {
      assertGrantUsable(link, grant, this.clock.now());
    } catch (err) {
      if (err instanceof GoneError) {
        return err;
      }
      throw err;
    }
    return new ConflictError(
      'grant_claimed',
      'This link is being downloaded in another browser session, and only that session can finish it. If that was not you, ask the sender to reset the download or to send you a new link.',
    );
  }

  /**
   * Keeps the claim alive during a long transfer and checks that the grant may still be downloaded.
   * Answers why the download must stop (the grant was revoked, expired, used up or reset), or null.
   */
  private async heartbeat(ticket: DownloadTicket): Promise<DownloadCutReason | null> {
    const { grant } = ticket.access;
    const live = ticket.claimed ? await this.grants.touchClaim(grant.id, ticket.cycleId) : await this.grants.grantLive(grant.id);
    if (live) {
      return null;
    }
    const [link, now] = [await this.links.findLink(ticket.access.link.id), await this.grants.findGrant(grant.id)];
    const reason = link && now ? grantEndReason(link, now, this.clock.now()) : 'ended';
    return reason ?? 'reset';
  }

  /**
   * Records what a claimed download under way has delivered so far (at each heartbeat), so that a
   * crash or a restart cannot make a partly delivered claim look unused and hand it to another
   * session after the grace period. Completes nothing: only `recordDelivery` counts a download.
   */
  private async recordProgress(ticket: DownloadTicket, ranges: readonly DeliveredRange[]): Promise<void> {
    const delivered = ranges.filter((r) => r.end > r.start);
    if (!ticket.claimed || delivered.length === 0) {
      return;
    }
    const { grant } = ticket.access;
    await this.db.transaction(async () => {
      const current = await this.grants.lockGrant(grant.id);
      if (current?.status !== 'active' || current.claimId !== ticket.cycleId) {
        return;
      }
      for (const r of delivered) {
        await this.grants.addDelivered(ticket.cycleId, grant.id, r.fileId, r.start, r.end);
      }
    });
  }

  /** Audits a running download that was ended because its grant stopped being usable. */
  private async recordCut(ticket: DownloadTicket, fileId: string | null, reason: DownloadCutReason): Promise<void> {
    const { link, grant, req } = ticket.access;
    await this.audit.record(req.ctx, { type: 'download.cut', outcome: 'denied', linkId: link.id, grantId: grant.id, fileId, details: { reason } });
  }

  /**
   * A stored copy of a live send link that cannot be found is a fault of the installation, not a
   * missing page: the transport answers 500 (with a correlation id), never the storage key.
   */
  private missingCopy(ticket: DownloadTicket, file: LinkFile, err: unknown): unknown {
    if (ticket.access.link.kind === 'share') {
      return shareReadError(err);
    }
    if (ticket.access.link.kind === 'send' && err instanceof DomainError && err.kind === 'not_found') {
      return new Error(`the stored copy of file ${file.id} of send link ${ticket.access.link.id} is missing from storage connection ${ticket.access.link.storageConnection}: ${err.message}`);
    }
    return err;
  }

  /**
   * Records what a response delivered. When the cycle has delivered every byte of every file, one
   * completed download is counted (and a limited grant may become consumed), in the same transaction
   * as its audit events; unless `mayComplete` is false (an archive response that stopped before
   * the archive's last byte: its claimer still needs the rest).
   */
  private async recordDelivery(ticket: DownloadTicket, ranges: readonly DeliveredRange[], opts: { mayComplete: boolean } = { mayComplete: true }): Promise<void> {
    const { link, grant, req } = ticket.access;
    await this.db.transaction(async () => {
      const current = await this.grants.lockGrant(grant.id);
      const events: AuditEventInput[] = [];
      for (const r of ranges) {
        events.push({
          type: r.complete ? 'download.completed' : 'download.interrupted',
          outcome: r.complete ? 'success' : 'failure',
          linkId: link.id,
          grantId: grant.id,
          fileId: r.fileId,
          bytes: r.end - r.start,
          details: { range: r.end > r.start ? `${r.start}-${r.end - 1}` : null },
        });
      }
      const stillHeld = current !== null && current.status === 'active' && (!ticket.claimed || current.claimId === ticket.cycleId);
      if (stillHeld) {
        for (const r of ranges) {
          if (r.end > r.start || r.complete) {
            await this.grants.addDelivered(ticket.cycleId, grant.id, r.fileId, r.start, r.end);
          }
        }
        if (opts.mayComplete && (await this.cycleDelivered(ticket))) {
          const after = await this.grants.completeDownload(grant.id, ticket.claimed ? ticket.cycleId : null, ticket.limit);
          await this.grants.clearDeliveries(ticket.cycleId);
          if (after) {
            events.push({ type: 'download.completed', linkId: link.id, grantId: grant.id, details: { allFiles: true, downloads: after.downloads } });
            await this.notices.downloaded({
              link,
              grant,
              who: req.ctx.actor.startsWith('recipient:') ? req.ctx.actor.slice('recipient:'.length) : null,
              ip: req.ctx.ip,
              downloads: after.downloads,
              files: ticket.access.files,
              at: this.clock.now(),
            });
            if (after.status === 'consumed') {
              events.push({ type: 'grant.consumed', linkId: link.id, grantId: grant.id, details: { downloads: after.downloads } });
              const ended = await this.links.endLinkIfAllGrantsEnded(link.id);
              if (ended) {
                events.push({ type: ended === 'revoked' ? 'link.revoked' : 'link.consumed', linkId: link.id });
              }
            }
          }
        }
      }
      await this.audit.record(req.ctx, ...events);
    });
  }

  // Share links --------------------------------------------------------------------------------
  // A share link's files are read where they live (never copies): a file share's one file, or the
  // files of a shared folder, each at the version it had when described, through the same claim,
  // heartbeat and accounting as a send link's copies.

  /** Archives of a whole shared folder that reached the client in full: a completed download of a folder share. */
  readonly #wholeShareArchives = new WeakSet<DownloadTicket>();

  private async prepareShare(access: GrantAccess, target: DownloadTarget): Promise<PreparedDownload> {
    const { link } = access;
    const share = await this.shares.shareOf(link.id);
    if (!share) {
      throw shareTargetMissing();
    }
    const resolved = await ResolvedShare.of(this.storage, link, share);
    if (share.target === 'file') {
      const row = target.kind === 'file' ? access.files.find((f) => f.id === target.fileId) : undefined;
      if (!row) {
        throw new NotFoundError('file_not_found', 'This link has no such file. Go back to the link page for the list of files.');
      }
      const info = await resolved.fileNow();
      if (info.size !== row.size) {
        // Only an unpinned share gets here with another size: what is served now is what counts.
        await this.shares.updateSharedFile(row.id, info.size, info.version);
      }
      const file = { ...row, size: info.size };
      return {
        access,
        file,
        archive: null,
        source: { driver: resolved.driver, key: resolved.sharePath, version: info.version },
        resume: { target: 'file', version: info.version, what: 'file' },
        representation: { name: file.name, contentType: file.contentType, size: info.size, etag: `"${info.version}"`, sha256: null, ranges: true },
      };
    }
    if (target.kind === 'file') {
      throw new NotFoundError('file_not_found', 'This link shares a folder: download its files from the link page.');
    }
    const rel = sharePathParam(target.path);
    if (target.kind === 'share-entry') {
      const info = await resolved.entry(rel);
      if (info.kind !== 'file' || rel.isRoot) {
        throw shareEntryNotFound();
      }
      await this.assertShareSize(link, [info.size], 'file');
      const file = await this.shareEntryFile(link, rel, info.size, info.version);
      return {
        access,
        file,
        archive: null,
        source: { driver: resolved.driver, key: rel, version: info.version },
        resume: { target: `file:${rel.toString()}`, version: info.version, what: 'file' },
        representation: { name: file.name, contentType: file.contentType, size: info.size, etag: `"${info.version}"`, sha256: null, ranges: true },
      };
    }
    if (rel.isRoot) {
      await resolved.folderNow();
    } else if ((await resolved.entry(rel)).kind !== 'folder') {
      throw shareEntryNotFound();
    }
    const walked = await resolved.walk(rel, MAX_SHARE_ARCHIVE_FILES);
    if (walked === null) {
      throw new TooLargeError('share_folder_too_large', `This folder holds more than ${MAX_SHARE_ARCHIVE_FILES} files, too many for one archive: download its subfolders one by one.`);
    }
    const files: LinkFile[] = [];
    const names: string[] = [];
    const versions = new Map<string, string>();
    const times: Date[] = [];
    for (const w of walked) {
      // Each file at the version it has now; one that vanished since the listing is left out.
      const info = await resolved.driver.stat(w.path).catch((err: unknown) => {
        if (err instanceof DomainError && err.kind === 'not_found') {
          return null;
        }
        throw err;
      });
      if (info?.kind !== 'file') {
        continue;
      }
      const file = await this.shareEntryFile(link, w.path, info.size, info.version);
      files.push(file);
      versions.set(file.id, info.version);
      times.push(info.modifiedAt);
      names.push(w.path.relativeTo(rel).toKey());
    }
    await this.assertShareSize(link, files.map((f) => f.size), 'archive');
    const folderName = rel.isRoot ? StoragePath.parse(share.path).name || 'files' : rel.name;
    // Each entry at the version it has now: the ETag changes with any of them, so a resume after a change starts again.
    const plan = planArchive(files.map((f, i) => ({ name: names[i]!, size: f.size, modifiedAt: times[i]!, version: versions.get(f.id)! })));
    return {
      access,
      file: null,
      archive: plan,
      shareArchive: { files, names, versions, driver: resolved.driver, whole: rel.isRoot },
      resume: { target: `archive:${rel.toString()}`, version: plan.etag, what: 'archive' },
      representation: { name: `${folderName}.zip`, contentType: 'application/zip', size: plan.size, etag: plan.etag, sha256: null, ranges: true },
    };
  }

  /**
   * A folder's sizes are known only when it is downloaded: the owner's policy limits on a link's
   * files (per file, and all of them together) apply then, to one file and to an archive (413).
   */
  private async assertShareSize(link: Link, sizes: readonly number[], what: 'file' | 'archive'): Promise<void> {
    const { maxFileBytes, maxTotalBytes } = (await this.policies.effectiveFor(link.ownerId)).files;
    const largest = sizes.reduce((m, n) => Math.max(m, n), 0);
    const total = sizes.reduce((m, n) => m + n, 0);
    if (largest > maxFileBytes) {
      throw new TooLargeError(
        'share_file_too_large',
        what === 'file'
          ? `This file has ${largest} bytes, more than the ${maxFileBytes} bytes per file that the sender's policy allows a link to deliver. Ask the sender for another way to get it.`
          : `A file in this folder has ${largest} bytes, more than the ${maxFileBytes} bytes per file that the sender's policy allows a link to deliver: download the other files one by one, and ask the sender for another way to get that one.`,
        { maxFileBytes, fileBytes: largest },
      );
    }
    if (total > maxTotalBytes) {
      throw new TooLargeError(
        'share_archive_too_large',
        `This folder holds ${total} bytes, more than the ${maxTotalBytes} bytes that the sender's policy allows one link to deliver at once: download its subfolders or files one by one.`,
        { maxTotalBytes, totalBytes: total },
      );
    }
  }

  /** The accounting row of one file of a folder share at one version (see `ShareLinksRepository.entryFile`). */
  private async shareEntryFile(link: Link, rel: StoragePath, size: number, version: string): Promise<LinkFile> {
    const id = await this.shares.entryFile(link.id, { key: rel.toKey(), name: rel.name, size, version });
    return { id, linkId: link.id, position: 0, name: rel.name, size, sha256: '', contentType: 'application/octet-stream', storageKey: rel.toKey() };
  }

  /**
   * Whether the cycle has delivered everything the link holds, which counts a completed download.
   * A send link or a file share: every byte of every file. A folder share: the archive of the whole
   * folder, or every file now in the folder at its current version.
   */
  private async cycleDelivered(ticket: DownloadTicket): Promise<boolean> {
    const { link } = ticket.access;
    if (link.kind === 'share') {
      const share = await this.shares.shareOf(link.id);
      if (share?.target === 'folder') {
        return this.#wholeShareArchives.delete(ticket) || (await this.folderShareDelivered(ticket, link, share));
      }
    }
    return (await this.grants.undeliveredFiles(ticket.cycleId, link.id)) === 0;
  }

  private async folderShareDelivered(ticket: DownloadTicket, link: Link, share: NonNullable<Awaited<ReturnType<ShareLinksRepository['shareOf']>>>): Promise<boolean> {
    const delivered = await this.shares.deliveredEntries(ticket.cycleId, link.id);
    const done = new Set(delivered.filter((d) => d.complete).map((d) => `${d.version}\0${d.key}`));
    const doneKeys = new Set(delivered.filter((d) => d.complete).map((d) => d.key));
    if (done.size === 0) {
      return false;
    }
    const resolved = await ResolvedShare.of(this.storage, link, share);
    const walked = await resolved.walk(StoragePath.root, MAX_SHARE_ARCHIVE_FILES).catch(() => null);
    if (walked === null || walked.length === 0) {
      return false;
    }
    for (const w of walked) {
      if (!doneKeys.has(w.path.toKey())) {
        return false;
      }
      const info = await resolved.driver.stat(w.path).catch(() => null);
      if (info !== null && !done.has(`${info.version}\0${w.path.toKey()}`)) {
        return false;
      }
    }
    return true;
  }
}

/** At most this many files go into one archive of a shared folder (and count towards its consumption). */
const MAX_SHARE_ARCHIVE_FILES = 10_000;

/** A share link's file that could not be read as described: changed (409) or gone (404), never other bytes. */
function shareReadError(err: unknown): unknown {
  const mapped = changedAsConflict(err);
  if (mapped === err && err instanceof DomainError && err.kind === 'not_found') {
    return shareTargetMissing();
  }
  return mapped;
}

/** A stable UUID-shaped id derived from a string (the delivery cycle of an unlimited grant in one session). */
function uuidFrom(value: string): string {
  const h = createHash('sha256').update(value).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
