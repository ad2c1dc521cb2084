import { join, resolve, sep } from 'node:path';
import { keyBelowRoot } from './drivers/keys.js';
import type { StoragePath, StorageKey } from './storage-path.js';

/**
 * Resolves a relative key (`a/b`, or a `StoragePath`) to a filesystem path inside `root`. String
 * keys must be relative (no leading `/`) and not the root itself; every other rule is
 * `StoragePath`'s. Symlinks are checked separately, at access time, by the driver.
 */
export function resolveInside(root: string, key: StorageKey): string {
  return fsPathOf(root, keyBelowRoot(key));
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
