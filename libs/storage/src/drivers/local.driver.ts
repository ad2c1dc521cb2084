import { createHash } from 'node:crypto';
import { close, constants, createReadStream, createWriteStream, fstat, open } from 'node:fs';
import { mkdir, readlink, realpath, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fsPathOf, isFsPathWithin, resolveInside } from '../path-containment.js';
import { StoragePath, toStoragePath, type StorageKey } from '../storage-path.js';
import {
  StorageNotFoundError,
  StoragePermissionError,
  StorageUnavailableError,
  type ByteRange,
  type StagedWrite,
  type StorageCapabilities,
  type StorageDriver,
  type StoredObjectInfo,
} from '../storage-driver.js';

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
  readonly capabilities: StorageCapabilities = { rangeReads: true, atomicCommit: true };

  constructor(private readonly root: string) {}

  private stagingPath(key: StorageKey, stagingId: string): string {
    const name = createHash('sha256').update(`${stagingId}\0${toStoragePath(key).toKey()}`).digest('hex');
    return join(this.root, STAGING, name);
  }

  async beginWrite(key: StorageKey, stagingId: string): Promise<StagedWrite> {
    const path = toStoragePath(key);
    resolveInside(this.root, path);
    if (isReserved(path)) {
      throw new StoragePermissionError('path refused (reserved)');
    }
    const staged = this.stagingPath(key, stagingId);
    await mkdir(dirname(staged), { recursive: true });
    const stream = createWriteStream(staged, { flags: 'wx', mode: 0o600, highWaterMark: READ_CHUNK });
    let done = false;
    return {
      stream,
      commit: async () => {
        const dir = await this.realParentInside(path, true);
        await rename(staged, join(dir ?? this.root, path.name)).catch((err: unknown) => {
          throw classify(err, String(path));
        });
        done = true;
      },
      abort: async () => {
        if (!done) {
          stream.destroy();
          await rm(staged, { force: true });
        }
      },
    };
  }

  async discardStaged(key: StorageKey, stagingId: string): Promise<void> {
    await rm(this.stagingPath(key, stagingId), { force: true });
  }

  /** The real path of the root, resolved at every access (the root itself may be a symlink). */
  private async rootReal(): Promise<string> {
    try {
      return await realpath(this.root);
    } catch (err) {
      throw classify(err, '/');
    }
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
      throw classify(err, String(path));
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
          throw classify(err, String(path));
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
      throw classify(err, String(path));
    });
    const made = await realpath(dir).catch((err: unknown) => {
      throw classify(err, String(path));
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
  private async openInside(key: StorageKey): Promise<{ fd: number; size: number }> {
    const { real, rootReal } = await this.realPathInside(key);
    const name = String(toStoragePath(key));
    const fd = await new Promise<number>((resolve, reject) =>
      open(real, constants.O_RDONLY | NOFOLLOW, (err, fd) => (err ? reject(classify(err, name)) : resolve(fd))),
    );
    try {
      if (process.platform === 'linux') {
        const opened = await readlink(`/proc/self/fd/${fd}`);
        if (!isFsPathWithin(rootReal, opened)) {
          throw new StorageNotFoundError(name);
        }
      }
      const s = await new Promise<import('node:fs').Stats>((resolve, reject) => fstat(fd, (err, st) => (err ? reject(classify(err, name)) : resolve(st))));
      if (!s.isFile()) {
        throw new StorageNotFoundError(name);
      }
      return { fd, size: s.size };
    } catch (err) {
      close(fd, () => undefined);
      throw err;
    }
  }

  async openRead(key: StorageKey, range?: ByteRange): Promise<Readable> {
    const { fd } = await this.openInside(key);
    return createReadStream('', {
      fd,
      highWaterMark: READ_CHUNK,
      ...(range ? { start: range.start, end: range.end } : {}),
    });
  }

  async stat(key: StorageKey): Promise<StoredObjectInfo> {
    const { real } = await this.realPathInside(key);
    const s = await stat(real).catch((err: unknown) => {
      throw classify(err, String(key));
    });
    return { size: s.size };
  }

  async delete(key: StorageKey): Promise<void> {
    const dir = await this.realParentInside(key, false);
    if (dir === null) {
      return;
    }
    await rm(join(dir, toStoragePath(key).name), { force: true }).catch((err: unknown) => {
      throw classify(err, String(key));
    });
  }

  async removeEmptyFolder(prefix: StorageKey): Promise<void> {
    const path = toStoragePath(prefix);
    if (path.isRoot) {
      return;
    }
    const dir = await this.realParentInside(path, false);
    if (dir === null) {
      return;
    }
    await rmdir(join(dir, path.name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT' && err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST' && err.code !== 'ENOTDIR') {
        throw classify(err, String(path));
      }
    });
  }

  async ping(): Promise<void> {
    try {
      await mkdir(join(this.root, STAGING), { recursive: true });
      await writeFile(join(this.root, STAGING, '.ping'), String(Date.now()));
    } catch (err) {
      throw classify(err, '.ping');
    }
  }
}

function classify(err: unknown, key: string): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new StorageNotFoundError(key);
    case 'EACCES':
    case 'EPERM':
      return new StoragePermissionError(`The storage refused access to ${JSON.stringify(key)}.`);
    case 'ENOSPC':
    case 'EIO':
    case 'EROFS':
      return new StorageUnavailableError(`The storage cannot be written (${code}).`);
    default:
      return err instanceof Error ? err : new Error(String(err));
  }
}
