import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { AuditService, type AccessContext } from '@mft/audit';
import { isInSendFolder } from '@mft/links';
import { mayWritePath, StoragePath, StorageNotFoundError, type ShareRoot, type SharingUser, type StorageDriver } from '@mft/storage';
import { failure, noSuchFile, permissionDenied, unsupported } from '../sftp-errors.js';
import { folder, type Area, type Attributes, type Entry, type ListPage, type ReadHandle, type WriteHandle } from './node.js';
import { OrderedWriter } from './ordered-writer.js';
import { openStoredFile } from './readers.js';

/** What a mount needs to know of its connection and its user. */
export interface MountSource {
  readonly connectionId: string;
  readonly name: string;
  /** The user's outermost share roots on it (`/` for all of it). */
  readonly roots: readonly StoragePath[];
  /** All share roots of the connection, for the write grants. */
  readonly shareRoots: readonly ShareRoot[];
  readonly who: SharingUser;
  /** Whether this connection holds the send copies (their folder is never shown). */
  readonly holdsSendCopies: boolean;
}

const LIST_PAGE = 200;

/**
 * `/<connection>/` of a user's tree: the folders of the connection the user may share from, and
 * nothing else. Every path is checked here, above the driver, as whole segments: it must lie in one
 * of the user's share roots (above them only the folders leading to them are shown), never in the
 * send copies, and the driver is scoped to that root, so that it also refuses what a symlink or an
 * encoded name would reach outside it. Changes need a share root that grants write.
 */
export class MountArea implements Area {
  readonly #log = new Logger('SftpMount');
  /** Folders made in this session that hold no file yet (object stores have no empty folders). */
  readonly #madeFolders = new Set<string>();

  constructor(
    private readonly source: MountSource,
    private readonly driver: StorageDriver,
    private readonly audit: AuditService,
    private readonly ctx: AccessContext,
  ) {}

  /** The stored path of `rest`, the root it lies in and the driver scoped to it; null when `rest` only leads to roots. */
  #locate(rest: readonly string[]): { path: StoragePath; scoped: StorageDriver; relative: StoragePath } | null {
    const path = StoragePath.of(...rest);
    if (this.source.holdsSendCopies && isInSendFolder(path)) {
      throw noSuchFile();
    }
    const root = this.source.roots.find((r) => path.isWithin(r));
    if (root) {
      return { path, scoped: root.isRoot ? this.driver : this.driver.scope(root), relative: path.relativeTo(root) };
    }
    if (this.source.roots.some((r) => r.isWithin(path))) {
      return null;
    }
    throw noSuchFile();
  }

  #writable(path: StoragePath): boolean {
    return mayWritePath(this.source.shareRoots, path, this.source.who);
  }

  #mustWrite(path: StoragePath): void {
    if (!this.#writable(path)) {
      throw permissionDenied(`${this.source.name} is read-only for you here: ask an administrator for write access to this folder.`);
    }
  }

  async stat(rest: readonly string[]): Promise<Attributes> {
    const at = this.#locate(rest);
    if (!at) {
      return folder('', false);
    }
    if (this.#madeFolders.has(at.path.toString())) {
      return folder('', true);
    }
    try {
      const info = await at.scoped.stat(at.relative);
      return { kind: info.kind, size: info.size, modifiedAt: info.modifiedAt, writable: this.#writable(at.path) };
    } catch (err) {
      // An object store has no folder objects: a folder of a root is there as long as the root is.
      if (err instanceof StorageNotFoundError && at.relative.isRoot) {
        return folder('', this.#writable(at.path));
      }
      throw err;
    }
  }

  async list(rest: readonly string[], cursor: string | null): Promise<ListPage> {
    const at = this.#locate(rest);
    if (!at) {
      // Above the roots: the next folder on the way to each.
      const depth = rest.length;
      const names = [...new Set(this.source.roots.filter((r) => r.segments.length > depth && r.segments.slice(0, depth).every((s, i) => s === rest[i])).map((r) => r.segments[depth]!))];
      return { entries: names.sort().map((n) => folder(n, false)), next: null };
    }
    const page = await at.scoped.list(at.relative, { cursor, limit: LIST_PAGE });
    const writable = this.#writable(at.path);
    const entries: Entry[] = page.entries
      .filter((e) => !(this.source.holdsSendCopies && isInSendFolder(at.path.join(e.name))))
      .map((e) => ({ name: e.name, kind: e.kind, size: e.size, modifiedAt: e.modifiedAt, writable }));
    if (cursor === null) {
      const here = at.path.toString();
      for (const made of this.#madeFolders) {
        const p = StoragePath.parse(made);
        if (p.parent?.toString() === here && !entries.some((e) => e.name === p.name)) {
          entries.push(folder(p.name, true));
        }
      }
    }
    return { entries, next: page.next };
  }

  async openRead(rest: readonly string[]): Promise<ReadHandle> {
    const at = this.#locate(rest);
    if (!at) {
      throw failure('This is a folder.');
    }
    const info = await at.scoped.stat(at.relative);
    if (info.kind !== 'file') {
      throw failure('This is a folder.');
    }
    const handle = await openStoredFile(at.scoped, at.relative, info.size);
    let served = 0;
    return {
      size: handle.size,
      read: async (length, position) => {
        const data = await handle.read(length, position);
        served += data?.length ?? 0;
        return data;
      },
      close: async () => {
        await handle.close();
        await this.audit.record(this.ctx, { type: 'sftp.file_read', bytes: served, details: { connection: this.source.name, path: at.path.toString(), size: info.size } }).catch(() => undefined);
      },
    };
  }

  async openWrite(rest: readonly string[]): Promise<WriteHandle> {
    const at = this.#locate(rest);
    if (!at || at.relative.isRoot) {
      throw failure('This is a folder.');
    }
    this.#mustWrite(at.path);
    const existing = await at.scoped.stat(at.relative).catch((err: unknown) => (err instanceof StorageNotFoundError ? null : Promise.reject(err)));
    if (existing?.kind === 'folder') {
      throw failure('A folder of this name exists.');
    }
    // Staged: the file appears under its name only when the client closes it with every byte written.
    const write = await at.scoped.beginWrite(at.relative, randomUUID());
    write.stream.on('error', () => undefined);
    const writer = new OrderedWriter(write.stream);
    return {
      write: (offset, data) => writer.write(offset, data),
      close: async () => {
        if (!writer.complete) {
          const err = failure('The file has a gap: some writes never arrived. Upload it again.');
          writer.fail(err);
          await write.abort();
          throw err;
        }
        await new Promise<void>((resolve, reject) => write.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
        await write.commit();
        this.#madeFolders.delete(at.path.parent?.toString() ?? '');
        await this.audit.record(this.ctx, { type: 'sftp.file_written', bytes: writer.bytesWritten, details: { connection: this.source.name, path: at.path.toString(), replaced: existing !== null } });
      },
      abort: async (reason) => {
        writer.fail(reason);
        write.stream.destroy(reason);
        await write.abort().catch((err: unknown) => this.#log.warn({ msg: 'could not discard a staged write', err: String(err) }));
      },
    };
  }

  async mkdir(rest: readonly string[]): Promise<void> {
    const at = this.#locate(rest);
    if (!at || at.relative.isRoot) {
      throw failure('This folder exists.');
    }
    this.#mustWrite(at.path);
    const existing = await at.scoped.stat(at.relative).catch(() => null);
    if (existing) {
      throw failure('A file or folder of this name exists.');
    }
    this.#madeFolders.add(at.path.toString());
    await this.audit.record(this.ctx, { type: 'sftp.folder_created', details: { connection: this.source.name, path: at.path.toString() } });
  }

  async remove(rest: readonly string[]): Promise<void> {
    const at = this.#locate(rest);
    if (!at || at.relative.isRoot) {
      throw failure('This is a folder: remove it with rmdir.');
    }
    this.#mustWrite(at.path);
    const info = await at.scoped.stat(at.relative);
    if (info.kind !== 'file') {
      throw failure('This is a folder: remove it with rmdir.');
    }
    await at.scoped.delete(at.relative);
    await this.audit.record(this.ctx, { type: 'sftp.file_deleted', details: { connection: this.source.name, path: at.path.toString(), size: info.size } });
  }

  async rmdir(rest: readonly string[]): Promise<void> {
    const at = this.#locate(rest);
    if (!at || at.relative.isRoot) {
      throw permissionDenied('This folder is a share root: only an administrator can remove it.');
    }
    this.#mustWrite(at.path);
    if (this.#madeFolders.delete(at.path.toString())) {
      return;
    }
    const page = await at.scoped.list(at.relative, { limit: 1 });
    if (page.entries.length > 0) {
      throw failure('The folder is not empty.');
    }
    await at.scoped.removeEmptyFolder(at.relative);
    await this.audit.record(this.ctx, { type: 'sftp.folder_deleted', details: { connection: this.source.name, path: at.path.toString() } });
  }

  async rename(fromRest: readonly string[], toRest: readonly string[]): Promise<void> {
    const from = this.#locate(fromRest);
    const to = this.#locate(toRest);
    if (!from || !to || from.relative.isRoot || to.relative.isRoot) {
      throw permissionDenied('Share roots cannot be renamed.');
    }
    this.#mustWrite(from.path);
    this.#mustWrite(to.path);
    const info = await from.scoped.stat(from.relative);
    if (info.kind !== 'file') {
      throw unsupported('Only files can be renamed here.');
    }
    if (await to.scoped.stat(to.relative).then(() => true, () => false)) {
      throw failure('A file of the new name exists: remove it first.');
    }
    // Within one connection: a copy inside the backend (a hard link on disk), then the old name goes.
    const fromKey = from.path;
    const toKey = to.path;
    if (!this.driver.copyWithin || !(await this.driver.copyWithin(fromKey, toKey))) {
      throw unsupported('This storage cannot rename this file in place.');
    }
    await this.driver.delete(fromKey);
    await this.audit.record(this.ctx, { type: 'sftp.file_renamed', details: { connection: this.source.name, from: fromKey.toString(), to: toKey.toString() } });
  }
}
