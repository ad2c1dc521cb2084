import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import { ZipArchive } from 'archiver';
import { AuditService, type AuditEventInput } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { Clock, ConflictError, DomainError, GoneError, isDomainError, NotFoundError, TooLargeError } from '@mft/core';
import { Database } from '@mft/db';
import { StoragePath, StorageService, type ByteRange, type StorageDriver } from '@mft/storage';
import { assertGrantUsable, downloadLimit, grantEndReason, type Grant, type Link, type LinkFile } from './link.js';
import { LinkNotices } from './link-notices.js';
import { LinksRepository } from './links.repository.js';
import { RecipientAccessService, sessionHash, type GrantAccess, type RecipientRequest } from './recipient-access.service.js';
import { ZipEntryTracker } from './zip-progress.js';
import { changedAsConflict, ResolvedShare, shareEntryNotFound, sharePathParam, shareTargetMissing } from './share-paths.js';
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
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
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
  /** Where the bytes of a share link's file come from, and the version they must still have. */
  readonly source?: ShareSource;
  /** The files of a folder share's archive (instead of the grant's files). */
  readonly archive?: ShareArchive;
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
  /** Counts the next bytes of the body, in order, once they have reached the client. Cheap: once per chunk. */
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
  /** Resolves once whatever feeds the body has stopped. */
  settled(): Promise<void>;
}

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

/** Resolves once the archive has taken `stream` as its next entry; rejects if the archive fails or closes first. */
function appendEntry(zip: ZipArchive, stream: Readable, name: string, date: Date): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (err?: Error): void => {
      zip.off('entry', taken);
      zip.off('error', abandon);
      zip.off('close', closed);
      if (err) {
        reject(err);
      } else {
        resolve();
      }
    };
    const taken = (): void => settle();
    const closed = (): void => abandon(new Error('the archive closed before its last entry'));
    // An entry the archive will never finish must not keep its copy open.
    const abandon = (err: Error): void => {
      stream.destroy();
      settle(err);
    };
    zip.on('entry', taken);
    zip.on('error', abandon);
    zip.on('close', closed);
    zip.append(stream, { name, date });
  });
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
    private readonly links: LinksRepository,
    private readonly audit: AuditService,
    private readonly storage: StorageService,
    private readonly config: AppConfigService,
    private readonly clock: Clock,
    private readonly notices: LinkNotices,
    private readonly shares: ShareLinksRepository,
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
      return {
        access,
        file: null,
        representation: { name: `files-${access.link.id.slice(0, 8)}.zip`, contentType: 'application/zip', size: null, etag: null, sha256: null, ranges: false },
      };
    }
    const file = access.files.find((f) => f.id === target.fileId);
    if (!file) {
      throw new NotFoundError('file_not_found', 'This link has no such file. Go back to the link page for the list of files.');
    }
    return {
      access,
      file,
      representation: { name: file.name, contentType: 'application/octet-stream', size: file.size, etag: etagOf(file), sha256: file.sha256, ranges: true },
    };
  }

  /**
   * Starts delivering `range` of a prepared download (the archive is always whole): claims a limited
   * grant for the session (409 while another session holds it, 410 once used up), opens the stored
   * copies and starts the heartbeat. A stored copy that cannot be read fails here, before any byte.
   */
  async open(prepared: PreparedDownload, range: RequestedRange): Promise<OpenedDownload> {
    const { access, file, representation } = prepared;
    if (file === null) {
      return this.openArchive(access, representation, prepared.archive);
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
    try {
      body =
        length === 0
          ? Readable.from([])
          : await driver.openRead(prepared.source?.key ?? file.storageKey, { start, end }, prepared.source ? { expectedVersion: prepared.source.version } : undefined);
    } catch (err) {
      await this.recordDelivery(ticket, [{ fileId: file.id, start, end: start, complete: false }]);
      throw this.missingCopy(ticket, file, err);
    }
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
        },
        soFar: () => upTo(false),
        final: upTo,
        settled: () => Promise.resolve(),
      },
    });
  }

  /**
   * The archive of every file of the grant: a store-mode zip, so that each file's bytes pass through
   * unchanged and the bytes that reached the client say exactly which files (and how much of the one
   * in progress) were delivered.
   */
  private async openArchive(access: GrantAccess, representation: DownloadRepresentation, share?: ShareArchive): Promise<RunningDownload> {
    const { link } = access;
    const files = share?.files ?? access.files;
    const ticket = await this.begin(access, { fileId: null, range: null });
    const driver = share?.driver ?? (await this.storage.driver(link.storageConnection));
    const open = (f: LinkFile): Promise<Readable> => this.openCopy(driver, ticket, f, share?.versions.get(f.id));
    // The first copy is opened before the answer starts, so that a missing one is answered as the fault it is.
    let first: Readable | null = null;
    try {
      first = files.length > 0 ? await open(files[0]!) : null;
    } catch (err) {
      await this.recordDelivery(ticket, [{ fileId: files[0]!.id, start: 0, end: 0, complete: false }]);
      throw err;
    }
    const zip = new ZipArchive({ store: true, forceZip64: files.reduce((n, f) => n + f.size, 0) > 0xfffffff0 });
    // A copy failing before the archive takes it must end the archive, not the process.
    first?.on('error', (err) => zip.destroy(err));
    const names = share?.names ?? zipNames(files);
    const feeding = (async () => {
      for (const [i, f] of files.entries()) {
        const stream = i === 0 && first ? first : await open(f);
        if (i > 0) {
          stream.on('error', (err) => zip.destroy(err));
        }
        if (zip.destroyed) {
          // The transfer ended while the next copy was being opened.
          stream.destroy();
          return;
        }
        await appendEntry(zip, stream, names[i]!, link.createdAt);
      }
      if (!zip.destroyed) {
        // An archive destroyed while it writes its directory never ends, and never settles `finalize`.
        const closed = new Promise<void>((resolve) => zip.once('close', resolve));
        await Promise.race([zip.finalize(), closed]);
      }
    })();
    const fed = feeding.catch((err: unknown) => {
      // A copy that could not be opened mid-archive; an archive the transfer ended is already destroyed.
      if (!zip.destroyed && !isDomainError(err)) {
        this.#logger.error({ msg: 'archive failed', linkId: link.id, err: err instanceof Error ? err.message : String(err) });
      }
      zip.destroy(err instanceof Error ? err : new Error(String(err)));
    });
    const tracker = new ZipEntryTracker(files.map((f) => f.size));
    let flushed = 0;
    const deliveredBy = (count: number): DeliveredRange[] => {
      const progress = tracker.progress(count);
      return files.flatMap((f, i) => (progress[i]!.bytes > 0 || progress[i]!.complete ? [{ fileId: f.id, start: 0, end: progress[i]!.bytes, complete: progress[i]!.complete }] : []));
    };
    return this.run(ticket, {
      status: 200,
      representation,
      range: null,
      length: null,
      body: zip,
      accounting: {
        fileId: null,
        sent: (chunk) => {
          // Fed with the bytes that reached the client, in order: the entries it finds are the ones they hold.
          tracker.observe(chunk);
          flushed += chunk.length;
        },
        soFar: () => deliveredBy(flushed),
        final: (complete) => {
          if (complete) {
            if (share?.whole) {
              this.#wholeShareArchives.add(ticket);
            }
            return files.map((f) => ({ fileId: f.id, start: 0, end: f.size, complete: true }));
          }
          const ranges = deliveredBy(flushed);
          return ranges.length > 0 || files.length === 0 ? ranges : [{ fileId: files[0]!.id, start: 0, end: 0, complete: false }];
        },
        settled: () => fed,
      },
    });
  }

  private async openCopy(driver: StorageDriver, ticket: DownloadTicket, file: LinkFile, expectedVersion?: string): Promise<Readable> {
    try {
      return file.size === 0 ? Readable.from([]) : await driver.openRead(file.storageKey, undefined, expectedVersion === undefined ? undefined : { expectedVersion });
    } catch (err) {
      throw this.missingCopy(ticket, file, err);
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
    const links = this.config.links;
    // Well inside the grace period, so a live download never loses its claim to another session.
    const every = Math.min(links.heartbeatSeconds * 1000, (links.claimGraceSeconds * 1000) / 3);
    const timer = setInterval(() => {
      beat ??= this.heartbeat(ticket)
        .then(async (reason) => {
          if (reason === null) {
            await this.recordProgress(ticket, accounting.soFar());
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
        await this.recordDelivery(ticket, accounting.final(complete));
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
        const result = await this.links.claim(grant.id, session, randomUUID(), this.config.links.claimGraceSeconds);
        if (result?.displacedClaimId) {
          await this.links.clearDeliveries(result.displacedClaimId);
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
        const now = (await this.links.findGrant(grant.id)) ?? grant;
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
      details: what.fileId ? { range: what.range } : { archive: true },
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
    const live = ticket.claimed ? await this.links.touchClaim(grant.id, ticket.cycleId) : await this.links.grantLive(grant.id);
    if (live) {
      return null;
    }
    const [link, now] = [await this.links.findLink(ticket.access.link.id), await this.links.findGrant(grant.id)];
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
      const current = await this.links.lockGrant(grant.id);
      if (current?.status !== 'active' || current.claimId !== ticket.cycleId) {
        return;
      }
      for (const r of delivered) {
        await this.links.addDelivered(ticket.cycleId, grant.id, r.fileId, r.start, r.end);
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
   * as its audit events.
   */
  private async recordDelivery(ticket: DownloadTicket, ranges: readonly DeliveredRange[]): Promise<void> {
    const { link, grant, req } = ticket.access;
    await this.db.transaction(async () => {
      const current = await this.links.lockGrant(grant.id);
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
            await this.links.addDelivered(ticket.cycleId, grant.id, r.fileId, r.start, r.end);
          }
        }
        if (await this.cycleDelivered(ticket)) {
          const after = await this.links.completeDownload(grant.id, ticket.claimed ? ticket.cycleId : null, ticket.limit);
          await this.links.clearDeliveries(ticket.cycleId);
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
        source: { driver: resolved.driver, key: resolved.sharePath, version: info.version },
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
      const file = await this.shareEntryFile(link, rel, info.size, info.version);
      return {
        access,
        file,
        source: { driver: resolved.driver, key: rel, version: info.version },
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
      names.push(w.path.relativeTo(rel).toKey());
    }
    const folderName = rel.isRoot ? StoragePath.parse(share.path).name || 'files' : rel.name;
    return {
      access,
      file: null,
      archive: { files, names, versions, driver: resolved.driver, whole: rel.isRoot },
      representation: { name: `${folderName}.zip`, contentType: 'application/zip', size: null, etag: null, sha256: null, ranges: false },
    };
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
    return (await this.links.undeliveredFiles(ticket.cycleId, link.id)) === 0;
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
