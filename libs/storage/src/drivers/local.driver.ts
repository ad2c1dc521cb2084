import { createHash } from 'node:crypto';
import { close, constants, createReadStream, createWriteStream, fstat, open, read, type BigIntStats, type Dirent } from 'node:fs';
import { link, lstat, mkdir, readdir, readlink, realpath, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fsPathOf, isFsPathWithin, resolveInside } from '../path-containment.js';
import { StoragePath, toStoragePath, type StorageKey } from '../storage-path.js';
import {
  StorageChangedError,
  StorageNotFoundError,
  StoragePermissionError,
  StorageUnavailableError,
  type BeginWriteOptions,
  type ByteRange,
  type OpenReadOptions,
  type PositionedReader,
  type StagedWrite,
  type StorageCapabilities,
  type StorageDriver,
  type StorageEntry,
  type StorageListOptions,
  type StorageListPage,
  type StoredObjectInfo,
} from '../storage-driver.js';
import { decodeNameCursor, encodeNameCursor, listLimit } from './listing.js';

/** 1 MiB reads: measured to matter for parallel downloads (see DESIGN performance notes). */
const READ_CHUNK = 1024 * 1024;
/** The driver's own folder for staged writes, at the root; never readable, listable or writable as a key. */
const STAGING = '.staging';
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

function isReserved(path: StoragePath): boolean {
  return path.segments[0] === STAGING;
}

/** A directory on local disk. Writes are staged under `.staging/` and renamed into place. */
export class LocalDriver implements StorageDriver {
  readonly capabilities: StorageCapabilities = {
    rangeReads: true,
    atomicCommit: true,
    listing: true,
    serverSideCopy: false,
    resumableWrites: false,
  };

  /** `outerRoots`: the roots of the drivers this one was scoped from; its own real root must stay inside each. */
  constructor(
    private readonly root: string,
    private readonly outerRoots: readonly string[] = [],
  ) {}

  scope(folder: StorageKey): LocalDriver {
    const path = toStoragePath(folder);
    if (isReserved(path)) {
      throw new StoragePermissionError('path refused (reserved)');
    }
    return path.isRoot ? this : new LocalDriver(fsPathOf(this.root, path), [...this.outerRoots, this.root]);
  }

  /** The staged file's name: it follows from the staging id and the key alone, and is the write's reference. */
  private stagedName(key: StorageKey, stagingId: string): string {
    return createHash('sha256').update(`${stagingId}\0${toStoragePath(key).toKey()}`).digest('hex');
  }

  async beginWrite(key: StorageKey, stagingId: string, _options?: BeginWriteOptions): Promise<StagedWrite> {
    const path = toStoragePath(key);
    resolveInside(this.root, path);
    if (isReserved(path)) {
      throw new StoragePermissionError('path refused (reserved)');
    }
    const reference = this.stagedName(key, stagingId);
    const staged = join(this.root, STAGING, reference);
    await mkdir(dirname(staged), { recursive: true });
    const stream = createWriteStream(staged, { flags: 'wx', mode: 0o600, highWaterMark: READ_CHUNK });
    let done = false;
    return {
      stream,
      reference,
      commit: async () => {
        const dir = await this.realParentInside(path, true);
        await rename(staged, join(dir ?? this.root, path.name)).catch((err: unknown) => {
          throw classifyFsError(err, String(path));
        });
        done = true;
      },
      abort: async () => {
        if (!done) {
          // The file is opened asynchronously: removing it before the stream has closed could race
          // the open and leave the staged file behind.
          if (!stream.closed) {
            const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
            stream.destroy();
            await closed;
          }
          await rm(staged, { force: true });
        }
      },
    };
  }

  async discardStaged(key: StorageKey, stagingId: string, reference?: string | null): Promise<void> {
    resolveInside(this.root, key);
    // A reference names a file in the staging folder and nothing else.
    if (reference !== undefined && reference !== null && !/^[0-9a-f]{64}$/.test(reference)) {
      throw new StoragePermissionError('staging reference refused (not a staged file name)');
    }
    await rm(join(this.root, STAGING, reference ?? this.stagedName(key, stagingId)), { force: true });
  }

  /** The real path of the root, resolved at every access (the root itself may be a symlink). */
  private async rootReal(): Promise<string> {
    let real: string;
    try {
      real = await realpath(this.root);
    } catch (err) {
      throw classifyFsError(err, '/');
    }
    // A scoped root reached through a symlink must still lie inside every root it was scoped from.
    for (const outer of this.outerRoots) {
      const outerReal = await realpath(outer).catch((err: unknown) => {
        throw classifyFsError(err, '/');
      });
      if (!isFsPathWithin(outerReal, real) || isFsPathWithin(join(outerReal, STAGING), real)) {
        throw new StorageNotFoundError('/', 'the scoped folder leaves the root it was scoped from');
      }
    }
    return real;
  }

  /**
   * The real path of the existing object at `key`, which must stay inside the real root once every
   * symlink is followed; otherwise it is absent. Checked at every access, never cached.
   */
  private async realPathInside(key: StorageKey): Promise<{ real: string; rootReal: string }> {
    const path = toStoragePath(key);
    const rootReal = await this.rootReal();
    if (isReserved(path)) {
      throw new StorageNotFoundError(String(path));
    }
    let real: string;
    try {
      real = await realpath(fsPathOf(this.root, path));
    } catch (err) {
      throw classifyFsError(err, String(path));
    }
    if (!isFsPathWithin(rootReal, real) || isFsPathWithin(join(rootReal, STAGING), real)) {
      throw new StorageNotFoundError(String(path));
    }
    return { real, rootReal };
  }

  /**
   * The real folder that holds `key` (created when `create`), inside the root; the final name is not
   * followed, so a write or delete acts on the entry itself and never through a symlinked folder.
   */
  private async realParentInside(key: StorageKey, create: boolean): Promise<string | null> {
    const path = toStoragePath(key);
    if (path.isRoot || isReserved(path)) {
      throw new StoragePermissionError(`path refused (${path.isRoot ? 'the storage root itself' : 'reserved'})`);
    }
    const rootReal = await this.rootReal();
    const parent = path.parent ?? StoragePath.root;
    // The deepest folder that exists must already be inside the root: mkdir -p would follow a symlink.
    let existing: StoragePath = parent;
    let real: string;
    for (;;) {
      try {
        real = await realpath(fsPathOf(this.root, existing));
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code !== 'ENOENT' && code !== 'ENOTDIR') || existing.isRoot) {
          throw classifyFsError(err, String(path));
        }
        existing = existing.parent ?? StoragePath.root;
      }
    }
    if (!isFsPathWithin(rootReal, real)) {
      throw new StoragePermissionError('path refused (a symlink leaves the storage root)');
    }
    if (existing.equals(parent)) {
      return real;
    }
    if (!create) {
      return null;
    }
    const dir = join(real, ...parent.relativeTo(existing).segments);
    await mkdir(dir, { recursive: true }).catch((err: unknown) => {
      throw classifyFsError(err, String(path));
    });
    const made = await realpath(dir).catch((err: unknown) => {
      throw classifyFsError(err, String(path));
    });
    if (!isFsPathWithin(rootReal, made)) {
      throw new StoragePermissionError('path refused (a symlink leaves the storage root)');
    }
    return made;
  }

  /**
   * Opens the file at `key` for reading: its real path must be inside the root, the final component
   * is opened with O_NOFOLLOW, and on Linux the opened descriptor's own path is checked again, so a
   * symlink swapped in after the check is not followed either.
   */
  private async openInside(key: StorageKey): Promise<{ fd: number; stats: BigIntStats }> {
    const { real, rootReal } = await this.realPathInside(key);
    const name = String(toStoragePath(key));
    const fd = await new Promise<number>((resolve, reject) =>
      open(real, constants.O_RDONLY | NOFOLLOW, (err, fd) => (err ? reject(classifyFsError(err, name)) : resolve(fd))),
    );
    try {
      if (process.platform === 'linux') {
        const opened = await readlink(`/proc/self/fd/${fd}`);
        if (!isFsPathWithin(rootReal, opened)) {
          throw new StorageNotFoundError(name);
        }
      }
      const stats = await new Promise<BigIntStats>((resolve, reject) =>
        fstat(fd, { bigint: true }, (err, st) => (err ? reject(classifyFsError(err, name)) : resolve(st))),
      );
      if (!stats.isFile()) {
        throw new StorageNotFoundError(name, 'not a file');
      }
      return { fd, stats };
    } catch (err) {
      close(fd, () => undefined);
      throw err;
    }
  }

  async openRead(key: StorageKey, range?: ByteRange, options?: OpenReadOptions): Promise<Readable> {
    const { fd } = await this.openChecked(key, options);
    return createReadStream('', {
      fd,
      highWaterMark: READ_CHUNK,
      ...(range ? { start: range.start, end: range.end } : {}),
    });
  }

  async openReader(key: StorageKey, options?: OpenReadOptions): Promise<PositionedReader> {
    const { fd, stats } = await this.openChecked(key, options);
    const name = String(toStoragePath(key));
    let closed: Promise<void> | null = null;
    return {
      size: Number(stats.size),
      read: (buffer, length, position, done) =>
        read(fd, buffer, 0, length, position, (err, bytesRead) => (err ? done(classifyFsError(err, name), 0) : done(null, bytesRead))),
      close: () => (closed ??= new Promise<void>((resolve) => close(fd, () => resolve()))),
    };
  }

  /** Opens `key` inside the root, checking the version of what was opened, so that a replacement after the check cannot slip through. */
  private async openChecked(key: StorageKey, options?: OpenReadOptions): Promise<{ fd: number; stats: BigIntStats }> {
    const opened = await this.openInside(key);
    if (options?.expectedVersion !== undefined) {
      const current = versionOf(opened.stats);
      if (current !== options.expectedVersion) {
        close(opened.fd, () => undefined);
        throw new StorageChangedError(String(toStoragePath(key)), options.expectedVersion, current);
      }
    }
    return opened;
  }

  async stat(key: StorageKey): Promise<StoredObjectInfo> {
    const { real } = await this.realPathInside(key);
    const s = await stat(real, { bigint: true }).catch((err: unknown) => {
      throw classifyFsError(err, String(key));
    });
    const kind = kindOf(s);
    if (!kind) {
      throw new StorageNotFoundError(String(key), 'neither a file nor a folder');
    }
    return { kind, size: kind === 'file' ? Number(s.size) : 0, modifiedAt: new Date(Number(s.mtimeMs)), version: versionOf(s) };
  }

  async list(prefix: StorageKey, options: StorageListOptions = {}): Promise<StorageListPage> {
    const limit = listLimit(options.limit);
    const after = options.cursor ? decodeNameCursor(options.cursor) : null;
    const folder = toStoragePath(prefix);
    const { real, rootReal } = await this.realPathInside(folder);
    let dirents: Dirent[];
    try {
      dirents = await readdir(real, { withFileTypes: true });
    } catch (err) {
      throw classifyFsError(err, String(folder));
    }
    const candidates = dirents
      .map((d) => d.name)
      // Names no key could address (not NFC, or refused by StoragePath) are left out, as is staging.
      .filter((n) => !(folder.isRoot && n === STAGING) && n === n.normalize('NFC') && StoragePath.isValidName(n))
      .map((n) => ({ n, b: Buffer.from(n, 'utf8') }))
      .sort((x, y) => Buffer.compare(x.b, y.b));
    const afterBytes = after === null ? null : Buffer.from(after, 'utf8');
    let i = afterBytes === null ? 0 : candidates.findIndex((c) => Buffer.compare(c.b, afterBytes) > 0);
    if (i < 0) {
      i = candidates.length;
    }
    const entries: StorageEntry[] = [];
    while (entries.length < limit && i < candidates.length) {
      const batch = candidates.slice(i, i + (limit - entries.length));
      i += batch.length;
      const described = await Promise.all(batch.map((c) => this.describe(join(real, c.n), c.n, rootReal)));
      for (const e of described) {
        if (e) {
          entries.push(e);
        }
      }
    }
    const last = entries.at(-1);
    return { entries, next: i < candidates.length && last ? encodeNameCursor(last.name) : null };
  }

  /** One listing entry; null for what a key could not reach (a symlink out of the root, a socket, a vanished name). */
  private async describe(full: string, name: string, rootReal: string): Promise<StorageEntry | null> {
    try {
      let s = await lstat(full);
      if (s.isSymbolicLink()) {
        const target = await realpath(full);
        if (!isFsPathWithin(rootReal, target) || isFsPathWithin(join(rootReal, STAGING), target)) {
          return null;
        }
        s = await stat(target);
      }
      const kind = s.isFile() ? 'file' : s.isDirectory() ? 'folder' : null;
      return kind ? { name, kind, size: kind === 'file' ? s.size : 0, modifiedAt: s.mtime } : null;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') {
        return null;
      }
      throw classifyFsError(err, name);
    }
  }

  /** A hard link: the same bytes under a second name, made in one step; false across file systems. */
  async copyWithin(from: StorageKey, to: StorageKey): Promise<boolean> {
    const { real } = await this.realPathInside(from);
    const source = await stat(real).catch((err: unknown) => {
      throw classifyFsError(err, String(from));
    });
    if (!source.isFile()) {
      throw new StorageNotFoundError(String(from), 'not a file');
    }
    const target = toStoragePath(to);
    const dir = await this.realParentInside(target, true);
    try {
      await link(real, join(dir ?? this.root, target.name));
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EXDEV' || code === 'EPERM' || code === 'EMLINK' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
        return false;
      }
      throw classifyFsError(err, String(target));
    }
  }

  async delete(key: StorageKey): Promise<void> {
    const dir = await this.realParentInside(key, false).catch(absentAsNull);
    if (dir === null) {
      return;
    }
    await rm(join(dir, toStoragePath(key).name), { force: true }).catch((err: unknown) => {
      throw classifyFsError(err, String(key));
    });
  }

  async removeEmptyFolder(prefix: StorageKey): Promise<void> {
    const path = toStoragePath(prefix);
    if (path.isRoot) {
      return;
    }
    const dir = await this.realParentInside(path, false).catch(absentAsNull);
    if (dir === null) {
      return;
    }
    await rmdir(join(dir, path.name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT' && err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST' && err.code !== 'ENOTDIR') {
        throw classifyFsError(err, String(path));
      }
    });
  }

  async ping(): Promise<void> {
    try {
      await mkdir(join(this.root, STAGING), { recursive: true });
      await writeFile(join(this.root, STAGING, '.ping'), String(Date.now()));
    } catch (err) {
      throw classifyFsError(err, '.ping');
    }
  }
}

/** For deletes: nothing there (not even the root) is nothing to do. */
function absentAsNull(err: unknown): null {
  if (err instanceof StorageNotFoundError) {
    return null;
  }
  throw err;
}

/** The local version: size, mtime, ctime and inode (any rewrite, replacement or rename changes one), hashed. */
function versionOf(s: BigIntStats): string {
  const facts = `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  return `l1-${createHash('sha256').update(facts).digest('base64url').slice(0, 22)}`;
}

function kindOf(s: BigIntStats): 'file' | 'folder' | null {
  return s.isFile() ? 'file' : s.isDirectory() ? 'folder' : null;
}


/** Maps an fs error to the storage taxonomy; `key` goes to the operator detail only. */
export function classifyFsError(err: unknown, key: string): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  const detail = `${JSON.stringify(key)}: ${err instanceof Error ? err.message : String(err)}`;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
    case 'ELOOP':
    case 'EISDIR':
      return new StorageNotFoundError(key, code);
    case 'EACCES':
    case 'EPERM':
    case 'ENAMETOOLONG':
      return new StoragePermissionError(detail);
    case 'EMFILE':
    case 'ENFILE':
    case 'EAGAIN':
    case 'EBUSY':
    case 'EINTR':
    case 'ETIMEDOUT':
    case 'ESTALE':
      return new StorageUnavailableError(detail, { reason: code });
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EIO':
    case 'EROFS':
      return new StorageUnavailableError(detail, { retryable: false, reason: code });
    case undefined:
      return err instanceof Error ? err : new Error(String(err));
    default:
      return new StorageUnavailableError(detail, { retryable: false, reason: code });
  }
}
