import { randomUUID } from 'node:crypto';
import { PassThrough, type Writable } from 'node:stream';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { AuditService, type AccessContext } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { ConflictError, isDomainError, SecretBox } from '@mft/core';
import { Database } from '@mft/db';
import { IdentityRepository, type User } from '@mft/identity';
import { StorageService } from '@mft/storage';
import { parseCreateSendLink } from '../create-send-link.command.js';
import { LinkService, type CreatedLink, type StagedFile } from '../link.service.js';
import { PendingUploadRepository } from '../repositories/pending-upload.repository.js';
import { cleanFileName as cleanName, SendUploadService, type SendUpload } from '../send-upload.service.js';
import { DropRecordsRepository, DropWaitingRepository, type DropRecord, type WaitingRow } from './drop-records.repository.js';

/** Where files are dropped: a folder of the dropper's tree and the link options it stands for. */
export interface DropTarget {
  /** `send/<recipients>` or `drop/<name>`: the folder's path in the dropper's tree, without the leading slash. */
  readonly folder: string;
  /** The fields of the link, as `POST /api/v1/links` takes them (`recipients`, `message`, options). */
  readonly fields: Record<string, unknown>;
}

/** One file being dropped: its bytes go to `stream`; `finish` when they are all written, `abort` when the client went away. */
export interface DropFile {
  readonly stream: Writable;
  /** Ends the file and waits until it is stored; it then joins its folder's next link. */
  finish(): Promise<void>;
  /** Drops the file: its bytes are removed and no link gets it. */
  abort(reason: Error): Promise<void>;
}

/** A file stored for the next link of its folder, as the dropper's listing shows it. */
export interface WaitingDrop {
  readonly name: string;
  readonly size: number;
  readonly since: Date;
}

interface Batch {
  readonly key: string;
  readonly owner: User;
  readonly target: DropTarget;
  readonly ctx: AccessContext;
  readonly upload: SendUpload;
  /** Names being written or stored in this batch. */
  readonly names: Map<string, { size: number; since: Date; stored: boolean }>;
  open: number;
  timer: NodeJS.Timeout | null;
}

/** The `.link.txt` of a link: one `<recipient> <url>` line per grant, and the generated password if there is one. */
export function linkText(created: CreatedLink): string {
  const lines = created.grants.map((g) => `${g.recipient ?? '-'} ${g.url}`);
  if (created.password) {
    lines.push(`password ${created.password}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Files dropped into a folder (SFTP `/send/<recipients>/`, `/drop/<name>/`) become send links
 * through the upload use case: each file streams into send storage as it arrives, and once no file
 * of the folder has been open for the quiet period (`sftp.quietSeconds`), the files stored so far
 * become one link with the uploader's effective policy. A file whose client went away before it was
 * whole is removed and joins nothing. A refused link leaves a refusal record per file (the
 * `.error.txt`), a created one a record holding its addresses sealed (the `.link.txt`).
 *
 * Batches live in the process that holds the client's connection, so two replicas never commit
 * the same files; a process that stops commits its waiting batches first. Each stored file is also
 * written down (`sftp_drop_waiting`) and touched while its process lives: if the process dies, any
 * replica makes the link of what it left (one winner), so a drop the client saw written is not lost.
 */
@Injectable()
export class DropBatches implements OnModuleInit, OnApplicationShutdown {
  readonly #logger = new Logger('DropBatches');
  readonly #batches = new Map<string, Batch>();
  readonly #committing = new Set<Promise<void>>();
  readonly #box: SecretBox;
  readonly #fieldsBox: SecretBox;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly uploads: SendUploadService,
    private readonly records: DropRecordsRepository,
    private readonly waitingRows: DropWaitingRepository,
    private readonly config: AppConfigService,
    private readonly audit: AuditService,
    private readonly db: Database,
    private readonly links: LinkService,
    private readonly identity: IdentityRepository,
    private readonly storage: StorageService,
    private readonly pending: PendingUploadRepository,
  ) {
    this.#box = new SecretBox(config.secretKey, 'sftp-link-text');
    this.#fieldsBox = new SecretBox(config.secretKey, 'sftp-drop-fields');
  }

  /** How often this process touches its waiting drops, and how long untouched ones wait before another process takes them. */
  get #heartbeatMs(): number {
    return Math.min(10, Math.max(1, this.config.sftp.quietSeconds)) * 1000;
  }
  get #staleSeconds(): number {
    return (3 * this.#heartbeatMs) / 1000 + this.config.sftp.quietSeconds;
  }

  onModuleInit(): void {
    this.#timer = setInterval(() => void this.#tick(), this.#heartbeatMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    try {
      await this.waitingRows.touch([...this.#batches.values()].map((b) => b.upload.linkId));
      await this.recoverOrphans();
    } catch (err) {
      this.#logger.warn({ msg: 'could not look after waiting drops', err: err instanceof Error ? err.message : String(err) });
    }
  }

  /** Starts a file in `target`. Policy refusals of the link (who may send, to whom) come here, before any byte. */
  async open(owner: User, target: DropTarget, fileName: string, ctx: AccessContext): Promise<DropFile> {
    const key = `${owner.id}\n${target.folder}`;
    let batch = this.#batches.get(key);
    if (!batch) {
      const upload = this.uploads.begin(owner, ctx);
      await upload.precheck(target.fields);
      // Another open of the same folder may have made one meanwhile.
      batch = this.#batches.get(key);
      if (!batch) {
        batch = { key, owner, target, ctx, upload, names: new Map(), open: 0, timer: null };
        this.#batches.set(key, batch);
      }
    }
    if (batch.names.has(fileName)) {
      throw new ConflictError('drop_name_taken', `A file named ${JSON.stringify(fileName)} is already waiting to be sent from this folder: wait for its .link.txt, or use another name.`);
    }
    const b = batch;
    const entry = { size: 0, since: new Date(), stored: false };
    b.names.set(fileName, entry);
    b.open += 1;
    this.#hold(b);
    const stream = new PassThrough({ highWaterMark: 1024 * 1024 });
    // An abort may destroy it before addFile's pipeline (behind its awaits) listens: never unhandled.
    stream.on('error', () => undefined);
    stream.on('data', (chunk: Buffer) => {
      entry.size += chunk.length;
    });
    stream.pause();
    const stored = b.upload.addFile({ filename: fileName, contentType: 'application/octet-stream', stream });
    // Settled by finish/abort; until then nobody awaits it, so its rejection must not go unhandled.
    stored.catch(() => undefined);
    let settled = false;
    const settle = (): void => {
      if (!settled) {
        settled = true;
        b.open -= 1;
        this.#release(b);
      }
    };
    return {
      stream,
      finish: async () => {
        stream.end();
        try {
          await stored;
          const file = b.upload.files.find((f) => f.name === cleanName(fileName)) ?? b.upload.files[b.upload.files.length - 1]!;
          await this.waitingRows.insert({
            fileId: file.id,
            batchId: b.upload.linkId,
            userId: owner.id,
            folder: target.folder,
            fieldsSealed: this.#fieldsBox.seal(JSON.stringify(target.fields)),
            connection: b.upload.connection!,
            position: b.upload.files.indexOf(file),
            name: file.name,
            originalName: file.originalName ?? null,
            size: file.size,
            sha256: file.sha256,
            crc32: file.crc32 ?? null,
            contentType: file.contentType,
            storageKey: file.storageKey,
          });
          entry.stored = true;
        } catch (err) {
          b.names.delete(fileName);
          throw err;
        } finally {
          settle();
        }
      },
      abort: async (reason: Error) => {
        stream.destroy(reason);
        await stored.catch(() => undefined);
        b.names.delete(fileName);
        settle();
      },
    };
  }

  /** Files of `folder` stored and waiting for their link. */
  waiting(ownerId: string, folder: string): WaitingDrop[] {
    const batch = this.#batches.get(`${ownerId}\n${folder}`);
    return batch ? [...batch.names].map(([name, e]) => ({ name, size: e.size, since: e.since })) : [];
  }

  /** What the dropper's listing of `folder` shows besides what is waiting. */
  recorded(ownerId: string, folder: string): Promise<DropRecord[]> {
    return this.records.inFolder(ownerId, folder);
  }

  /** Folders under `prefix` that hold something for `ownerId` (records or waiting files). */
  async folders(ownerId: string, prefix: string): Promise<string[]> {
    const waiting = [...this.#batches.values()].filter((b) => b.owner.id === ownerId && b.target.folder.startsWith(prefix)).map((b) => b.target.folder);
    return [...new Set([...(await this.records.folders(ownerId, prefix)), ...waiting])].sort();
  }

  /** The `.link.txt` of a sent record. */
  linkTextOf(record: DropRecord): string {
    return record.linkTextSealed ? this.#box.open(record.linkTextSealed) : '';
  }

  /** The `.error.txt` of a refused record. */
  errorTextOf(record: DropRecord): string {
    return `${record.errorCode ?? 'refused'}: ${record.errorMessage ?? 'The link was not created.'}\nNo link was created for ${record.fileName}. Correct the cause, delete this file and upload ${record.fileName} again.\n`;
  }

  forgetRefusal(ownerId: string, folder: string, fileName: string): Promise<number> {
    return this.records.deleteRefusals(ownerId, folder, fileName);
  }

  /** Commits every waiting batch at once (shutdown, tests). */
  async flush(): Promise<void> {
    for (const b of [...this.#batches.values()]) {
      if (b.open === 0) {
        this.#commitSoon(b, 0);
      }
    }
    await Promise.allSettled([...this.#committing]);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.#timer) {
      clearInterval(this.#timer);
    }
    await this.flush();
  }

  #hold(b: Batch): void {
    if (b.timer) {
      clearTimeout(b.timer);
      b.timer = null;
    }
  }

  #release(b: Batch): void {
    if (b.open > 0) {
      return;
    }
    if (b.upload.fileCount === 0 && [...b.names.values()].every((e) => !e.stored)) {
      // Nothing stored (every file failed): no link, nothing to wait for.
      if (this.#batches.get(b.key) === b) {
        this.#batches.delete(b.key);
      }
      void b.upload.abort(new Error('no file of the drop was complete')).catch(() => undefined);
      return;
    }
    this.#commitSoon(b, this.config.sftp.quietSeconds * 1000);
  }

  #commitSoon(b: Batch, delayMs: number): void {
    this.#hold(b);
    b.timer = setTimeout(() => {
      b.timer = null;
      if (b.open > 0 || this.#batches.get(b.key) !== b) {
        return;
      }
      this.#batches.delete(b.key);
      const done = this.#commit(b).finally(() => this.#committing.delete(done));
      this.#committing.add(done);
    }, delayMs);
    b.timer.unref();
  }

  async #commit(b: Batch): Promise<void> {
    const files = [...b.upload.files];
    try {
      // The link, its drop records and the end of its waiting rows: all or nothing.
      await b.upload.commit(b.target.fields, (created) => this.#recordSent(b.owner.id, b.target.folder, created, files));
    } catch (err) {
      await this.waitingRows.deleteBatch(b.upload.linkId).catch(() => undefined);
      await this.refuse(b.owner, b.target.folder, files.map((f) => ({ name: f.name, size: f.size })), err, b.ctx);
    }
  }

  async #recordSent(userId: string, folder: string, created: CreatedLink, files: readonly StagedFile[]): Promise<void> {
    const sealed = this.#box.seal(linkText(created));
    for (const f of files) {
      await this.records.insert({ id: randomUUID(), userId, folder, fileName: f.name, outcome: 'sent', linkId: created.id, fileId: f.id, size: f.size, linkTextSealed: sealed, errorCode: null, errorMessage: null });
      await this.records.deleteRefusals(userId, folder, f.name);
    }
    await this.waitingRows.deleteBatch(created.id);
  }

  /** Makes the links of drops whose process died while they waited for their quiet period (any replica; one winner per batch). */
  async recoverOrphans(): Promise<number> {
    let made = 0;
    for (const batchId of await this.waitingRows.orphanBatches(this.#staleSeconds, 20)) {
      const rows = await this.waitingRows.claim(batchId, this.#staleSeconds);
      if (rows.length > 0) {
        await this.#recover(rows);
        made += 1;
      }
    }
    return made;
  }

  async #recover(rows: readonly WaitingRow[]): Promise<void> {
    const first = rows[0]!;
    const ctx: AccessContext = { actor: `user:${first.username}`, ip: null, userAgent: 'sftp (recovered after the process that took the drop stopped)' };
    const files: StagedFile[] = rows.map((r) => ({ id: r.fileId, name: r.name, ...(r.originalName ? { originalName: r.originalName } : {}), size: r.size, sha256: r.sha256, ...(r.crc32 !== null ? { crc32: r.crc32 } : {}), contentType: r.contentType, storageKey: r.storageKey }));
    const owner = await this.identity.findUserByName(first.username);
    try {
      if (!owner) {
        throw new ConflictError('user_disabled', `The user ${first.username} was disabled before the link was made.`);
      }
      const fields = JSON.parse(this.#fieldsBox.open(first.fieldsSealed)) as Record<string, unknown>;
      await this.db.transaction(async () => {
        const created = await this.links.createSend(first.batchId, owner, parseCreateSendLink(fields), files, first.connection, ctx);
        await this.#recordSent(owner.id, first.folder, created, files);
      });
      this.#logger.log({ msg: 'made the link of a drop left waiting by a stopped process', linkId: first.batchId, files: files.length, user: first.username });
    } catch (err) {
      const driver = await this.storage.driver(first.connection);
      for (const f of files) {
        await driver.delete(f.storageKey).catch(() => undefined);
      }
      await this.pending.deletePending(files.map((f) => f.id)).catch(() => undefined);
      await this.waitingRows.deleteBatch(first.batchId).catch(() => undefined);
      const who = owner ?? ({ id: first.userId, username: first.username, email: null, displayName: null, roles: [] } satisfies User);
      await this.refuse(who, first.folder, files.map((f) => ({ name: f.name, size: f.size })), err, ctx);
    }
  }

  /** Records that `files` dropped into `folder` got no link because of `err` (their `.error.txt`), and audits it. */
  async refuse(owner: User, folder: string, files: ReadonlyArray<{ name: string; size: number }>, err: unknown, ctx: AccessContext): Promise<void> {
    const known = isDomainError(err);
    if (!known) {
      this.#logger.error({ msg: 'a drop could not become a link', folder, err: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined });
    }
    const code = known ? err.code : 'internal_error';
    const message = known ? err.message : 'The gateway could not create the link; ask your administrator to look at its log.';
    try {
      for (const f of files) {
        await this.records.deleteRefusals(owner.id, folder, f.name);
        await this.records.insert({ id: randomUUID(), userId: owner.id, folder, fileName: f.name, outcome: 'refused', linkId: null, fileId: null, size: f.size, linkTextSealed: null, errorCode: code, errorMessage: message });
      }
      await this.audit.record(ctx, { type: 'sftp.drop_refused', outcome: 'denied', details: { folder, files: files.map((f) => f.name), code, message } });
    } catch (e) {
      this.#logger.error({ msg: 'could not record a refused drop', folder, err: e instanceof Error ? e.message : String(e) });
    }
  }
}
