import { isAbsolute, normalize, relative, resolve, sep } from 'node:path';
import { StoragePermissionError } from './storage-driver.js';

/**
 * Resolves a slash-separated relative key inside `root`, refusing anything that could escape it:
 * absolute paths, `..` segments, backslashes, NUL bytes, percent-encoded separators, and empty segments.
 * Symlinks are checked separately, at access time, by the driver (see LocalDriver.realPathInside).
 */
export function resolveInside(root: string, key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 4096) {
    throw new StoragePermissionError('The path is empty or too long.');
  }
  if (key.includes('\0') || key.includes('\\') || /%2f|%5c|%2e/i.test(key)) {
    throw new StoragePermissionError('The path contains characters that are not allowed.');
  }
  if (isAbsolute(key) || key.startsWith('/')) {
    throw new StoragePermissionError('The path must be relative to the storage root.');
  }
  const segments = key.split('/');
  if (segments.some((s) => s === '..' || s === '.' || s === '')) {
    throw new StoragePermissionError('The path must not contain empty, "." or ".." segments.');
  }
  const base = resolve(root);
  const full = resolve(base, normalize(key));
  const rel = relative(base, full);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) {
    throw new StoragePermissionError('The path leaves the storage root.');
  }
  return full;
}
