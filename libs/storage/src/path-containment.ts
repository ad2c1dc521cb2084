import { join, resolve, sep } from 'node:path';
import { StoragePermissionError } from './storage-driver.js';
import { StoragePath, StoragePathError, type StorageKey } from './storage-path.js';

/**
 * Resolves a relative key (`a/b`, or a `StoragePath`) to a filesystem path inside `root`. String
 * keys must be relative (no leading `/`) and not the root itself; every other rule is
 * `StoragePath`'s. Symlinks are checked separately, at access time, by the driver.
 */
export function resolveInside(root: string, key: StorageKey): string {
  let path: StoragePath;
  try {
    if (typeof key === 'string' && key.startsWith('/')) {
      throw new StoragePathError('absolute');
    }
    path = key instanceof StoragePath ? key : StoragePath.parse(key);
  } catch (err) {
    if (err instanceof StoragePathError) {
      throw new StoragePermissionError(`path refused (${err.reason})`);
    }
    throw err;
  }
  if (path.isRoot) {
    throw new StoragePermissionError('path refused (the storage root itself)');
  }
  return fsPathOf(root, path);
}

/** The filesystem path of `path` under `root` (the root itself for the root path). */
export function fsPathOf(root: string, path: StoragePath): string {
  return path.isRoot ? resolve(root) : join(resolve(root), ...path.segments);
}

/** Whether the filesystem path `candidate` is `root` or below it, comparing whole segments. */
export function isFsPathWithin(root: string, candidate: string): boolean {
  const base = root.endsWith(sep) ? root : root + sep;
  return candidate === root || candidate.startsWith(base);
}
