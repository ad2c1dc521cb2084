import { StoragePermissionError } from '../storage-driver.js';
import { StoragePath, StoragePathError, type StorageKey } from '../storage-path.js';

/**
 * The key of something below a driver's root, for the calls that write or remove it (`beginWrite`,
 * `discardStaged`, `delete`), checked before any I/O: a string key must be relative (no leading
 * `/`) and valid, and the root itself is refused; each refusal is a `StoragePermissionError`.
 */
export function keyBelowRoot(key: StorageKey): StoragePath {
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
  return path;
}
