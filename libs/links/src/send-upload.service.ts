import { createHash, randomUUID } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import { Injectable, Logger } from '@nestjs/common';
import { AuditService, type AccessContext } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { Database } from '@mft/db';
import { InvalidInputError, TooLargeError } from '@mft/core';
import type { User } from '@mft/identity';
import { StorageService, type StagedWrite } from '@mft/storage';
import { parseCreateSendLink } from './create-send-link.command.js';
import { PolicyViolationError } from '@mft/policy';
import { LinkService, type CreatedLink, type StagedFile, type UploadLimits } from './link.service.js';
import { PendingUploadRepository } from './repositories/pending-upload.repository.js';

/** An incoming file: a name, a declared type and a stream of bytes of unknown length. */
export interface IncomingFile {
  readonly filename: string;
  readonly contentType: string;
  readonly stream: Readable;
}


/** A file already stored whole in a storage connection, with its digests (a completed resumable upload). */
export interface StoredFile {
  readonly filename: string;
  readonly contentType: string;
  readonly size: number;
  readonly sha256: string;
  readonly crc32: number;
  readonly connection: string;
  readonly key: string;
}

/** Counts and hashes bytes as they pass (SHA-256, and the CRC-32 archives need), and stops the stream the moment a size limit is crossed. */
class Meter extends Transform {
  readonly hash = createHash('sha256');
  crc32 = 0;
  bytes = 0;
  constructor(
    private readonly maxBytes: number,
    private readonly onLimit: () => Error,
  ) {
    super({ highWaterMark: 1024 * 1024 });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      done(this.onLimit());
      return;
    }
    this.hash.update(chunk);
    this.crc32 = crc32(chunk, this.crc32);
    done(null, chunk);
  }
}

/** The refusal of a file that crossed a size limit: the policy's rule (422) or the installation's cap (413). */
export function tooLarge(name: string, limits: UploadLimits, which: 'file' | 'total'): Error {
  if (which === 'file') {
    return limits.fileLimitIsPolicy
      ? new PolicyViolationError('file_too_large', `maximum is ${limits.maxFileBytes} bytes per file; ${JSON.stringify(name)} is larger.`, limits.maxFileBytes, `more than ${limits.maxFileBytes}`)
      : new TooLargeError('file_too_large', `The file ${JSON.stringify(name)} is larger than the maximum of ${limits.maxFileBytes} bytes.`, { maxFileBytes: limits.maxFileBytes });
  }
  return limits.totalLimitIsPolicy
    ? new PolicyViolationError('total_too_large', `maximum is ${limits.maxTotalBytes} bytes for all the files of a link together.`, limits.maxTotalBytes, `more than ${limits.maxTotalBytes}`)
    : new TooLargeError('upload_too_large', `The files together exceed the maximum of ${limits.maxTotalBytes} bytes per link.`, { maxTotalBytes: limits.maxTotalBytes });
}

/** A declared media type as stored: `type/subtype` or, for anything else, application/octet-stream. */
export function cleanContentType(declared: string): string {
  return /^[\w.+-]+\/[\w.+-]+$/.test(declared) ? declared : 'application/octet-stream';
}

/** Where a send link's copies are stored: one folder per link, one object per file. */
export const sendFolder = (linkId: string): string => `send/${linkId}`;

/** Control and format characters (bidi overrides, zero-width characters, BOM) and the line and paragraph separators. */
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

/**
 * Cleans a client-supplied file name for display; it never becomes a path (keys are ids). Invisible
 * characters go, so that `invoice\u202Efdp.exe` cannot pass for "invoiceexe.pdf"; the name as
 * uploaded is kept in the audit (`visibleFileName`).
 */
export function cleanFileName(raw: string): string {
  const name = raw.normalize('NFC').replace(INVISIBLE, '').trim();
  if (name.length === 0) {
    throw new InvalidInputError('file_name_missing', 'Every file part needs a file name.');
  }
  if (Buffer.byteLength(name, 'utf8') > 1024) {
    throw new InvalidInputError('file_name_too_long', 'A file name may be at most 1024 bytes long.');
  }
  return name;
}

/** A file name as uploaded, for the audit: each invisible character written as `\uXXXX`, so it can be read and stored. */
export function visibleFileName(raw: string): string {
  return raw
    .replace(INVISIBLE, (c) => {
      const hex = c.codePointAt(0)!.toString(16).toUpperCase();
      return hex.length > 4 ? `\\u{${hex}}` : `\\u${hex.padStart(4, '0')}`;
    })
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/**
 * One send-link upload in progress: files stream straight to storage (never held in memory),
 * hashed and measured on the way, each recorded as pending until the link commits.
 */
export class SendUpload {
  readonly linkId = randomUUID();
  readonly #files: StagedFile[] = [];
  readonly #writes: Array<{ id: string; key: string; write: StagedWrite | null }> = [];
  #total = 0;
  #limits: UploadLimits | null = null;
  #connection: string | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #finished = false;
  /** Files whose bytes were already removed when they failed (`addFile`), still counted in the failure's audit. */
  #failedFiles = 0;

  constructor(
    private readonly owner: User,
    private readonly ctx: AccessContext,
    private readonly deps: {
      pendingUploads: PendingUploadRepository;
      linkService: LinkService;
      storage: StorageService;
      config: AppConfigService;
      audit: AuditService;
      logger: Logger;
      db: Database;
    },
  ) {}

  get fileCount(): number {
    return this.#files.length;
  }

  /** The storage connection the files went to (null before the first). */
  get connection(): string | null {
    return this.#connection;
  }

  /** The files stored so far, in order. */
  get files(): readonly StagedFile[] {
    return this.#files;
  }

  /**
   * Checks the options seen so far against the owner's policy, so that a bad request is refused
   * before any byte is stored, and takes the policy's size limits for the files to come.
   */
  async precheck(fields: Record<string, unknown>): Promise<void> {
    await this.deps.linkService.resolveOptions(this.owner, parseCreateSendLink(fields));
    this.#limits = await this.deps.linkService.uploadLimits(this.owner);
  }

  async addFile(file: IncomingFile): Promise<void> {
    const maxFiles = this.deps.config.links.maxFilesPerLink;
    if (this.#files.length >= maxFiles) {
      throw new InvalidInputError('too_many_files', `A link may hold at most ${maxFiles} files.`);
    }
    const limits = (this.#limits ??= await this.deps.linkService.uploadLimits(this.owner));
    const name = cleanFileName(file.filename);
    const id = randomUUID();
    const key = `${sendFolder(this.linkId)}/${id}`;
    const connection = (this.#connection ??= await this.deps.storage.sendConnectionId());
    const driver = await this.deps.storage.driver(connection);
    await this.deps.pendingUploads.insertPending({ id, connection, key });
    const entry: { id: string; key: string; write: StagedWrite | null } = { id, key, write: null };
    this.#writes.push(entry);
    this.#startHeartbeat();
    entry.write = await driver.beginWrite(key, id);
    // Recorded before any byte is written: a crash from here on leaves what the sweep needs to discard them.
    await this.deps.pendingUploads.setStagingRef(id, entry.write.reference);
    // Created after the last await, so that it is in the pipeline (and listened to) from the start.
    const remaining = limits.maxTotalBytes - this.#total;
    const perFile = Math.min(limits.maxFileBytes, remaining);
    const meter = new Meter(perFile, () => tooLarge(name, limits, perFile === limits.maxFileBytes ? 'file' : 'total'));
    try {
      await pipeline(file.stream, meter, entry.write.stream);
      await entry.write.commit();
    } catch (err) {
      // This file's bytes go at once; the files before it stay (an SFTP drop keeps adding to the link).
      this.#failedFiles += 1;
      await this.#discard(entry, driver);
      throw err;
    }
    this.#total += meter.bytes;
    this.#files.push({
      id,
      name,
      originalName: visibleFileName(file.filename),
      size: meter.bytes,
      sha256: meter.hash.digest('hex'),
      crc32: meter.crc32 >>> 0,
      contentType: cleanContentType(file.contentType),
      storageKey: key,
    });
  }

  /**
   * Adds a file already stored, whole and hashed, in the send storage (a completed resumable
   * upload) by a copy inside the backend (`StorageDriver.copyWithin`), under the same limits as
   * `addFile`. False, with nothing added, when the backend cannot copy it: stream it with `addFile`.
   */
  async addStoredCopy(file: StoredFile): Promise<boolean> {
    const maxFiles = this.deps.config.links.maxFilesPerLink;
    if (this.#files.length >= maxFiles) {
      throw new InvalidInputError('too_many_files', `A link may hold at most ${maxFiles} files.`);
    }
    const limits = (this.#limits ??= await this.deps.linkService.uploadLimits(this.owner));
    const name = cleanFileName(file.filename);
    const remaining = limits.maxTotalBytes - this.#total;
    if (file.size > Math.min(limits.maxFileBytes, remaining)) {
      throw tooLarge(name, limits, file.size > limits.maxFileBytes ? 'file' : 'total');
    }
    const connection = (this.#connection ??= await this.deps.storage.sendConnectionId());
    const driver = await this.deps.storage.driver(connection);
    if (file.connection !== connection || !driver.copyWithin) {
      return false;
    }
    const id = randomUUID();
    const key = `${sendFolder(this.linkId)}/${id}`;
    // Pending before the copy exists: a crash from here on leaves what the sweep needs to remove it.
    await this.deps.pendingUploads.insertPending({ id, connection, key });
    const entry: { id: string; key: string; write: StagedWrite | null } = { id, key, write: null };
    this.#writes.push(entry);
    this.#startHeartbeat();
    if (!(await driver.copyWithin(file.key, key))) {
      this.#writes.splice(this.#writes.indexOf(entry), 1);
      await this.deps.pendingUploads.deletePending([id]);
      return false;
    }
    this.#total += file.size;
    this.#files.push({
      id,
      name,
      originalName: visibleFileName(file.filename),
      size: file.size,
      sha256: file.sha256,
      crc32: file.crc32 >>> 0,
      contentType: cleanContentType(file.contentType),
      storageKey: key,
    });
    return true;
  }

  /**
   * Creates the link from the stored files; `alsoInTransaction` runs in the link's transaction with
   * what it created (records that must exist exactly when the link does). On failure the bytes are removed.
   */
  async commit(fields: Record<string, unknown>, alsoInTransaction?: (created: CreatedLink) => Promise<void>): Promise<CreatedLink> {
    try {
      const cmd = parseCreateSendLink(fields);
      const connection = this.#connection ?? (await this.deps.storage.sendConnectionId());
      const created = await this.deps.db.transaction(async () => {
        const made = await this.deps.linkService.createSend(this.linkId, this.owner, cmd, this.#files, connection, this.ctx);
        await alsoInTransaction?.(made);
        return made;
      });
      this.#finished = true;
      return created;
    } catch (err) {
      await this.abort(err);
      throw err;
    } finally {
      this.#stopHeartbeat();
    }
  }

  /** Removes everything this upload wrote. Safe to call more than once. */
  async abort(reason: unknown): Promise<void> {
    this.#stopHeartbeat();
    if (this.#finished) {
      return;
    }
    this.#finished = true;
    if (this.#writes.length === 0 && this.#failedFiles === 0) {
      return;
    }
    const driver = await this.deps.storage.driver(this.#connection ?? (await this.deps.storage.sendConnectionId()));
    for (const w of this.#writes) {
      try {
        await w.write?.abort();
        await driver.delete(w.key);
        await driver.discardStaged(w.key, w.id, w.write?.reference ?? null);
      } catch (err) {
        // The pending record stays, so the maintenance sweep retries the removal.
        this.deps.logger.warn({ msg: 'could not remove the bytes of a failed upload', key: w.key, err: String(err) });
        continue;
      }
      await this.deps.pendingUploads.deletePending([w.id]).catch(() => undefined);
    }
    await driver.removeEmptyFolder(sendFolder(this.linkId)).catch(() => undefined);
    if (this.#writes.length + this.#failedFiles > 0) {
      await this.deps.audit
        .record(this.ctx, {
          type: 'upload.failed',
          outcome: 'failure',
          linkId: null,
          bytes: this.#total,
          details: { reason: reason instanceof Error ? reason.message : String(reason), files: this.#writes.length + this.#failedFiles },
        })
        .catch(() => undefined);
    }
  }

  /** Removes one file's bytes and its pending record; on failure both stay for the sweep (and for `abort`). */
  async #discard(entry: { id: string; key: string; write: StagedWrite | null }, driver: { delete(key: string): Promise<void>; discardStaged(key: string, id: string, ref: string | null): Promise<void> }): Promise<void> {
    try {
      await entry.write?.abort();
      await driver.delete(entry.key);
      await driver.discardStaged(entry.key, entry.id, entry.write?.reference ?? null);
      await this.deps.pendingUploads.deletePending([entry.id]);
      this.#writes.splice(this.#writes.indexOf(entry), 1);
    } catch (err) {
      this.deps.logger.warn({ msg: 'could not remove the bytes of a failed file; the sweep will', key: entry.key, err: String(err) });
    }
  }

  #startHeartbeat(): void {
    this.#heartbeat ??= setInterval(() => {
      void this.deps.pendingUploads.touchPending(this.#writes.map((w) => w.id)).catch(() => undefined);
    }, Math.min(10_000, (this.deps.config.jobs.staleUploadSeconds * 1000) / 3));
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = null;
    }
  }
}

@Injectable()
export class SendUploadService {
  readonly #logger = new Logger('SendUpload');

  constructor(
    private readonly pendingUploads: PendingUploadRepository,
    private readonly linkService: LinkService,
    private readonly storage: StorageService,
    private readonly config: AppConfigService,
    private readonly audit: AuditService,
    private readonly db: Database,
  ) {}

  /** Starts an upload; whether `owner` may create the link at all is the policy's to say, before any byte is stored. */
  begin(owner: User, ctx: AccessContext): SendUpload {
    return new SendUpload(owner, ctx, {
      pendingUploads: this.pendingUploads,
      linkService: this.linkService,
      storage: this.storage,
      config: this.config,
      audit: this.audit,
      logger: this.#logger,
      db: this.db,
    });
  }
}
