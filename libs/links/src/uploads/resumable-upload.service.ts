import { createHash, randomUUID, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable, Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import { Injectable, Logger } from '@nestjs/common';
import { AuditService, SYSTEM_CONTEXT, type AccessContext } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { ConflictError, DomainError, GoneError, InvalidInputError, NotFoundError, TooLargeError } from '@mft/core';
import { Database } from '@mft/db';
import type { User } from '@mft/identity';
import { StorageNotFoundError, StorageService, type StagedWrite, type StorageDriver } from '@mft/storage';
import { LinkService, type CreatedLink } from '../link.service.js';
import { PendingUploadRepository } from '../repositories/pending-upload.repository.js';
import { cleanContentType, cleanFileName, SendUploadService, tooLarge, type SendUpload } from '../send-upload.service.js';
import { ResumableUploadRepository, type ResumableUploadRow } from './resumable-upload.repository.js';

/** A request writing to an upload refreshes its mark this often; one silent for WRITER_STALE_SECONDS has died. */
const WRITER_HEARTBEAT_MS = 5_000;
const WRITER_STALE_SECONDS = 30;
const BATCH = 100;

/** Where the segments of an upload are kept until a link takes its bytes. */
export const uploadFolder = (uploadId: string): string => `uploads/${uploadId}`;

/**
 * Counts bytes as they pass and stops the stream the moment it carries more than `max`; with
 * `digest`, also hashes them (SHA-256, and the CRC-32 archives need).
 */
class Counter extends Transform {
  bytes = 0;
  readonly hash: Hash | null;
  crc32 = 0;
  constructor(
    private readonly max: number,
    private readonly onLimit: () => Error,
    digest: boolean,
  ) {
    super({ highWaterMark: 1024 * 1024 });
    this.hash = digest ? createHash('sha256') : null;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) {
      done(this.onLimit());
      return;
    }
    if (this.hash) {
      this.hash.update(chunk);
      this.crc32 = crc32(chunk, this.crc32);
    }
    done(null, chunk);
  }
}

/** Parses tus `Upload-Metadata`: comma-separated `key base64value` pairs (the value may be absent). */
export function parseUploadMetadata(raw: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!raw || raw.trim() === '') {
    return out;
  }
  for (const pair of raw.split(',')) {
    const [key, value, ...rest] = pair.trim().split(' ');
    if (!key || rest.length > 0 || !/^[\x21-\x2B\x2D-\x7E]+$/.test(key) || out.has(key) || (value !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(value))) {
      throw new InvalidInputError(
        'upload_metadata_invalid',
        'Upload-Metadata must be comma-separated pairs of a key and its base64 value, each key once, e.g. "filename cmVwb3J0LnBkZg==,filetype YXBwbGljYXRpb24vcGRm".',
      );
    }
    out.set(key, value === undefined ? '' : Buffer.from(value, 'base64').toString('utf8'));
  }
  return out;
}

/**
 * Resumable uploads (the tus protocol's state): each PATCH is stored as one staged, committed
 * segment object in the send storage connection, and the offset moves in PostgreSQL only once the
 * segment is committed. A link made of uploads streams their segments, in order, through the
 * multipart upload use case (`SendUpload`): the same limits, hashing and pending-upload bookkeeping.
 */
@Injectable()
export class ResumableUploadService {
  readonly #logger = new Logger('ResumableUpload');

  constructor(
    private readonly db: Database,
    private readonly repo: ResumableUploadRepository,
    private readonly pendingUploads: PendingUploadRepository,
    private readonly sendUploads: SendUploadService,
    private readonly links: LinkService,
    private readonly storage: StorageService,
    private readonly config: AppConfigService,
    private readonly audit: AuditService,
  ) {}

  /** The largest upload `owner` may declare. */
  async maxSize(owner: User): Promise<number> {
    return (await this.links.uploadLimits(owner)).maxFileBytes;
  }

  /** Registers a new upload of `length` bytes; refused (422 or 413) before any byte when the owner may not send or it is over the owner's limits. */
  async create(owner: User, length: number, rawMetadata: string | undefined): Promise<ResumableUploadRow> {
    // Bytes are taken only from someone who may make a send link of them.
    await this.links.assertMayCreate(owner, 'send');
    const metadata = parseUploadMetadata(rawMetadata);
    const rawName = metadata.get('filename') ?? metadata.get('name');
    if (rawName === undefined) {
      throw new InvalidInputError('file_name_missing', 'Give the file name in Upload-Metadata as "filename <base64 of the name>".');
    }
    const name = cleanFileName(rawName);
    const type = metadata.get('filetype') ?? metadata.get('type') ?? '';
    const limits = await this.links.uploadLimits(owner);
    if (length > limits.maxFileBytes) {
      throw tooLarge(name, limits, 'file');
    }
    if (length > limits.maxTotalBytes) {
      throw tooLarge(name, limits, 'total');
    }
    return this.repo.insert({
      id: randomUUID(),
      ownerId: owner.id,
      connection: await this.storage.sendConnectionId(),
      length,
      fileName: name,
      contentType: cleanContentType(type),
      metadata: rawMetadata ?? '',
      lifetimeSeconds: this.config.jobs.resumableUploadSeconds,
    });
  }

  /** The upload `id` of `owner`; someone else's is not found, so that ids are not confirmed. */
  async get(owner: User, id: string): Promise<ResumableUploadRow> {
    const u = await this.repo.find(id, owner.id);
    if (!u || u.expiresAt.getTime() <= Date.now()) {
      throw new NotFoundError('upload_not_found', 'There is no such upload of yours: it never existed, has expired, was deleted or was already made into a link. Start a new upload.');
    }
    return u;
  }

  /**
   * Appends the bytes of `body` at `offset` as one segment. A request cut off midway keeps the bytes
   * that arrived (they are committed as a shorter segment), so the client resumes from the offset HEAD reports.
   */
  async write(owner: User, id: string, offset: number, body: Readable): Promise<ResumableUploadRow> {
    const u = await this.get(owner, id);
    if (u.usedAt) {
      throw new ConflictError('upload_in_use', 'This upload is being made into a link; start a new upload to send the file again.');
    }
    if (offset !== u.offset) {
      throw new DomainError('conflict', 'upload_offset_mismatch', `This upload is at byte ${u.offset}, not ${offset}: ask for its offset with HEAD and continue from there.`, { offset: u.offset });
    }
    const writer = randomUUID();
    if (!(await this.repo.acquireWriter(id, offset, writer, WRITER_STALE_SECONDS))) {
      throw new DomainError(
        'locked',
        'upload_busy',
        `Another request is writing to this upload right now. Wait until it ends (a cut-off request is given up after ${WRITER_STALE_SECONDS} seconds), ask HEAD for the offset and continue from there.`,
      );
    }
    const segmentId = randomUUID();
    const key = `${uploadFolder(id)}/${String(offset).padStart(16, '0')}-${segmentId}`;
    // Both marks stay fresh while the bytes flow: the writer's (for other requests) and the pending segment's (for the sweep).
    const heartbeat = setInterval(() => {
      void this.repo.touchWriter(id, writer).catch(() => undefined);
      void this.pendingUploads.touchPending([segmentId]).catch(() => undefined);
    }, WRITER_HEARTBEAT_MS);
    heartbeat.unref();
    let driver: StorageDriver | null = null;
    let write: StagedWrite | null = null;
    try {
      driver = await this.storage.driver(u.connection);
      await this.pendingUploads.insertPending({ id: segmentId, connection: u.connection, key });
      write = await driver.beginWrite(key, segmentId, { sizeHint: u.length - offset });
      // Recorded before any byte is written: a crash from here on leaves what the sweep needs to discard them.
      await this.pendingUploads.setStagingRef(segmentId, write.reference);
      // The first segment is hashed on the way: an upload that is one segment becomes a link's file without being read again.
      const received = await receive(
        body,
        write.stream,
        u.length - offset,
        () => new TooLargeError('upload_length_exceeded', `This upload was declared as ${u.length} bytes; this request sends more than the ${u.length - offset} bytes still missing.`, { uploadLength: u.length }),
        offset === 0,
      );
      if (received.bytes === 0) {
        throw new EmptySegment();
      }
      await write.commit();
      const segment = { start: offset, size: received.bytes, key, sha256: received.sha256, crc32: received.crc32 };
      const moved = await this.db.transaction(async () => {
        const at = await this.repo.appendSegment(id, writer, segment, this.config.jobs.resumableUploadSeconds);
        if (at !== null) {
          await this.pendingUploads.deletePending([segmentId]);
        }
        return at;
      });
      if (moved === null) {
        throw new ConflictError('upload_busy', 'This upload was deleted or taken over by another request while this one wrote; ask HEAD for its offset.');
      }
      return { ...u, offset: moved };
    } catch (err) {
      if (driver) {
        await this.#discardSegment(driver, key, segmentId, write);
      }
      await this.repo.releaseWriter(id, writer).catch(() => undefined);
      if (err instanceof EmptySegment) {
        return u;
      }
      throw err;
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Deletes an upload and its bytes (tus termination). */
  async terminate(owner: User, id: string): Promise<void> {
    const u = await this.get(owner, id);
    if (u.usedAt) {
      throw new ConflictError('upload_in_use', 'This upload is being made into a link right now and cannot be deleted.');
    }
    await this.#remove(u);
  }

  /**
   * Creates a send link of completed uploads: `{ kind: "send", uploads: [ids], ...the options of a
   * send link }`. Each upload's bytes stream through the send upload use case into the link's own
   * copy; the uploads are then removed.
   */
  async createLink(owner: User, body: Record<string, unknown>, ctx: AccessContext): Promise<CreatedLink> {
    const { uploads, ...fields } = body;
    const maxFiles = this.config.links.maxFilesPerLink;
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    if (!Array.isArray(uploads) || uploads.length === 0 || !uploads.every((x): x is string => typeof x === 'string' && uuid.test(x))) {
      throw new InvalidInputError('uploads_invalid', 'Give "uploads" as a list of the ids of your completed uploads (from the Location of POST /api/v1/uploads).');
    }
    if (new Set(uploads).size !== uploads.length) {
      throw new InvalidInputError('uploads_invalid', 'Each upload may appear once in "uploads".');
    }
    if (uploads.length > maxFiles) {
      throw new InvalidInputError('too_many_files', `A link may hold at most ${maxFiles} files.`);
    }
    const upload = this.sendUploads.begin(owner, ctx);
    await upload.precheck(fields);
    const claimed = await this.repo.claim(uploads, owner.id, this.config.jobs.resumableUploadSeconds);
    try {
      if (claimed.length !== uploads.length) {
        const got = new Set(claimed.map((c) => c.id));
        throw await this.#whyNotClaimed(owner, uploads.find((x) => !got.has(x))!);
      }
      const byId = new Map(claimed.map((c) => [c.id, c]));
      for (const id of uploads) {
        const u = byId.get(id)!;
        if (!(await this.#addByCopy(upload, u))) {
          await upload.addFile({ filename: u.fileName, contentType: u.contentType, stream: this.#contents(u) });
        }
      }
      const created = await upload.commit(fields);
      for (const u of claimed) {
        // A failure here leaves the row (used, with its expiry): the sweep removes it later.
        await this.#remove(u).catch((err: unknown) => this.#logger.warn({ msg: 'could not remove a used upload; the sweep will', uploadId: u.id, err: String(err) }));
      }
      return created;
    } catch (err) {
      await upload.abort(err);
      await this.repo.unclaim(claimed.map((c) => c.id)).catch(() => undefined);
      throw err;
    }
  }

  /** Removes uploads past their expiry with their segments. */
  async sweepExpired(): Promise<number> {
    let removed = 0;
    for (const u of await this.repo.expired(WRITER_STALE_SECONDS, BATCH)) {
      try {
        await this.#remove(u);
      } catch (err) {
        this.#logger.warn({ msg: 'could not remove an expired upload; will retry', uploadId: u.id, err: String(err) });
        continue;
      }
      await this.audit.record(SYSTEM_CONTEXT, {
        type: 'upload.abandoned',
        outcome: 'failure',
        bytes: u.offset,
        details: { uploadId: u.id, reason: u.offset < u.length ? 'resumable upload expired unfinished' : 'resumable upload expired unused', fileName: u.fileName },
      });
      removed++;
    }
    return removed;
  }

  async #whyNotClaimed(owner: User, id: string): Promise<Error> {
    const u = await this.get(owner, id).catch((err: unknown) => err as Error);
    if (u instanceof Error) {
      return new NotFoundError('upload_not_found', `There is no upload ${id} of yours: it never existed, has expired, was deleted or was already made into a link.`);
    }
    if (u.offset < u.length) {
      return new ConflictError('upload_incomplete', `The upload ${id} has ${u.offset} of its ${u.length} bytes: finish it (PATCH from offset ${u.offset}) before making a link of it.`);
    }
    if (u.writer) {
      return new DomainError('locked', 'upload_busy', `A request is still writing to the upload ${id}; try again when it has ended.`);
    }
    return new ConflictError('upload_in_use', `The upload ${id} is being made into another link right now.`);
  }

  /**
   * An upload that is one segment, hashed as it arrived, becomes the link's file by a copy inside
   * the storage backend (a hard link on disk, CopyObject on S3): its bytes are not read again.
   * False when that cannot be done; the caller then streams the bytes.
   */
  async #addByCopy(upload: SendUpload, u: ResumableUploadRow): Promise<boolean> {
    const segments = await this.repo.segments(u.id);
    const only = segments.length === 1 ? segments[0]! : null;
    if (!only || only.start !== 0 || only.size !== u.length || !only.sha256 || only.crc32 === null || only.crc32 === undefined) {
      return false;
    }
    return upload.addStoredCopy({ filename: u.fileName, contentType: u.contentType, size: only.size, sha256: only.sha256, crc32: only.crc32, connection: u.connection, key: only.key });
  }

  /** The bytes of a complete upload: its segments in order. */
  #contents(u: ResumableUploadRow): Readable {
    const { storage, repo } = this;
    return Readable.from(
      (async function* () {
        const driver = await storage.driver(u.connection);
        let at = 0;
        for (const s of await repo.segments(u.id)) {
          if (s.start !== at) {
            throw new GoneError('upload_damaged', `The stored bytes of ${JSON.stringify(u.fileName)} are incomplete; upload the file again.`);
          }
          for await (const chunk of await driver.openRead(s.key)) {
            yield chunk as Buffer;
          }
          at += s.size;
        }
        if (at !== u.length) {
          throw new GoneError('upload_damaged', `The stored bytes of ${JSON.stringify(u.fileName)} are incomplete; upload the file again.`);
        }
      })(),
      { objectMode: false },
    );
  }

  async #remove(u: ResumableUploadRow): Promise<void> {
    const driver = await this.storage.driver(u.connection);
    for (const s of await this.repo.segments(u.id)) {
      await driver.delete(s.key).catch((err: unknown) => {
        if (!(err instanceof StorageNotFoundError)) {
          throw err;
        }
      });
    }
    await driver.removeEmptyFolder(uploadFolder(u.id)).catch(() => undefined);
    await this.repo.delete(u.id);
  }

  async #discardSegment(driver: StorageDriver, key: string, segmentId: string, write: StagedWrite | null): Promise<void> {
    try {
      await write?.abort();
      await driver.delete(key);
      await driver.discardStaged(key, segmentId, write?.reference ?? null);
      await this.pendingUploads.deletePending([segmentId]);
    } catch (err) {
      // The pending record stays, so the maintenance sweep retries the removal.
      this.#logger.warn({ msg: 'could not remove an unfinished segment', key, err: String(err) });
    }
  }
}

class EmptySegment extends Error {}

/**
 * Streams `body` into `dest`, at most `max` bytes (more is an error). A body cut off by the client
 * ends the stream instead of failing it: what arrived is kept.
 */
async function receive(body: Readable, dest: Writable, max: number, onLimit: () => Error, digest: boolean): Promise<{ bytes: number; sha256: string | null; crc32: number | null }> {
  const counter = new Counter(max, onLimit, digest);
  const end = (): void => {
    if (!counter.writableEnded && !counter.destroyed) {
      counter.end();
    }
  };
  body.on('error', end);
  body.on('aborted', end);
  body.on('close', () => {
    if (!(body as IncomingMessage).complete) {
      end();
    }
  });
  body.pipe(counter);
  await pipeline(counter, dest);
  return { bytes: counter.bytes, sha256: counter.hash?.digest('hex') ?? null, crc32: counter.hash ? counter.crc32 >>> 0 : null };
}
