import { InvalidInputError } from '@mft/core';

/** Longest name of one file or folder, in UTF-8 bytes (NAME_MAX on every common filesystem). */
export const MAX_SEGMENT_BYTES = 255;
/** Longest whole path, in UTF-8 bytes (PATH_MAX on Linux). */
export const MAX_PATH_BYTES = 4096;

/** Why a path was refused; stable, safe to show (it never repeats the path). */
export type StoragePathRefusal =
  | 'not_a_string'
  | 'too_long'
  | 'segment_too_long'
  | 'empty_segment'
  | 'dot_segment'
  | 'control_character'
  | 'backslash'
  | 'encoded_separator'
  | 'bad_encoding'
  | 'absolute'
  | 'unicode_trick';

/** A path that cannot be a `StoragePath`. The path itself stays out of the message and details. */
export class StoragePathError extends InvalidInputError {
  constructor(readonly reason: StoragePathRefusal) {
    super('path_invalid', 'This path is not allowed: use plain folder and file names separated by "/".', { reason });
  }
}

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/**
 * Percent-encodings that some layer could later decode into a separator, a dot, another escape, a
 * control character, or an overlong UTF-8 form of one of these (`%c0%af` is "/" to lax decoders).
 */
const DANGEROUS_ESCAPE = /%(?:2f|5c|2e|25|[01][0-9a-f]|7f|c0|c1|e0%[89][0-9a-f]|f0%8[0-9a-f]|u[0-9a-f]{4})/i;
const DRIVE = /^[a-z]:/i;
const ONLY_DOTS_AND_SPACES = /^[.\s]+$/;

/**
 * A normalised path inside a storage root, as whole segments: the only form in which a path
 * reaches a driver. It can only be built by `parse`/`of`/`join`, which refuse anything that could
 * leave the root or mean something else to another layer (`..`, encoded or Unicode look-alike
 * separators, backslashes, drive letters, control characters, lone surrogates, overlong names).
 * Names are NFC. `/` is the root. Containment compares segments, never string prefixes, so
 * `/docs` does not contain `/docs-private/x`.
 */
export class StoragePath {
  static readonly root = new StoragePath([]);

  private constructor(readonly segments: readonly string[]) {
    Object.freeze(this.segments);
  }

  /**
   * Parses an already-decoded path relative to a root: `a/b` and `/a/b` are the same path, `/` is
   * the root. Throws `StoragePathError` (code `path_invalid`) for anything else.
   */
  static parse(input: string): StoragePath {
    if (typeof input !== 'string') {
      throw new StoragePathError('not_a_string');
    }
    // A UTF-16 length above the byte limit is always above it in UTF-8 too: refuse before any scan.
    if (input.length > MAX_PATH_BYTES) {
      throw new StoragePathError('too_long');
    }
    checkCharacters(input);
    const nfc = input.normalize('NFC');
    if (nfc === '/') {
      return StoragePath.root;
    }
    const rest = nfc.startsWith('/') ? nfc.slice(1) : nfc;
    if (rest.startsWith('/')) {
      throw new StoragePathError('absolute');
    }
    return StoragePath.of(...rest.split('/'));
  }

  /** Parses a path still percent-encoded once (a raw URL component): decodes exactly once, then `parse`. */
  static fromEncoded(raw: string): StoragePath {
    if (typeof raw !== 'string') {
      throw new StoragePathError('not_a_string');
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      throw new StoragePathError('bad_encoding');
    }
    return StoragePath.parse(decoded);
  }

  /** Builds a path from names, each of which must be a valid single name. */
  static of(...names: string[]): StoragePath {
    const segments = names.map(checkName);
    const bytes = segments.reduce((n, s) => n + 1 + Buffer.byteLength(s, 'utf8'), 0);
    if (bytes > MAX_PATH_BYTES) {
      throw new StoragePathError('too_long');
    }
    return segments.length === 0 ? StoragePath.root : new StoragePath(segments);
  }

  /** Whether `name` can be one segment of a path (a file or folder name). */
  static isValidName(name: string): boolean {
    try {
      checkName(name);
      return true;
    } catch {
      return false;
    }
  }

  /** `child` (a relative path, or a path taken as relative) below this one; always within it. */
  join(child: string | StoragePath): StoragePath {
    const c = child instanceof StoragePath ? child : StoragePath.parse(child);
    return c.isRoot ? this : StoragePath.of(...this.segments, ...c.segments);
  }

  get isRoot(): boolean {
    return this.segments.length === 0;
  }

  /** The folder holding this path; null for the root. */
  get parent(): StoragePath | null {
    return this.isRoot ? null : StoragePath.of(...this.segments.slice(0, -1));
  }

  /** The last segment; '' for the root. */
  get name(): string {
    return this.segments.at(-1) ?? '';
  }

  /** Whether this path is `other` or lies below it, segment by segment. */
  isWithin(other: StoragePath): boolean {
    return other.segments.length <= this.segments.length && other.segments.every((s, i) => s === this.segments[i]);
  }

  /** This path as seen from `base` (which it must be within): `/docs/a` relative to `/docs` is `/a`. */
  relativeTo(base: StoragePath): StoragePath {
    if (!this.isWithin(base)) {
      throw new StoragePathError('absolute');
    }
    return StoragePath.of(...this.segments.slice(base.segments.length));
  }

  equals(other: StoragePath): boolean {
    return this.segments.length === other.segments.length && this.isWithin(other);
  }

  /** `/a/b`; `/` for the root. */
  toString(): string {
    return `/${this.segments.join('/')}`;
  }

  /** `a/b`, the form of the keys that drivers have always taken; '' for the root. */
  toKey(): string {
    return this.segments.join('/');
  }

  toJSON(): string {
    return this.toString();
  }
}

function checkCharacters(s: string): void {
  if (LONE_SURROGATE.test(s)) {
    throw new StoragePathError('bad_encoding');
  }
  if (CONTROL.test(s)) {
    throw new StoragePathError('control_character');
  }
  if (s.includes('\\')) {
    throw new StoragePathError('backslash');
  }
  if (DANGEROUS_ESCAPE.test(s)) {
    throw new StoragePathError('encoded_separator');
  }
}

/** Decodes `%XX` once, byte by byte, as a lax decoder would; only used to look for hidden meaning. */
function laxDecode(s: string): string {
  return s.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function checkName(raw: string): string {
  if (typeof raw !== 'string') {
    throw new StoragePathError('not_a_string');
  }
  if (raw.length > MAX_SEGMENT_BYTES) {
    throw new StoragePathError('segment_too_long');
  }
  checkCharacters(raw);
  const name = raw.normalize('NFC');
  if (name === '') {
    throw new StoragePathError('empty_segment');
  }
  if (name.includes('/')) {
    throw new StoragePathError('empty_segment');
  }
  // "." and "..", and names that Windows servers trim to them ("...", ".. ").
  if (ONLY_DOTS_AND_SPACES.test(name)) {
    throw new StoragePathError('dot_segment');
  }
  if (DRIVE.test(name)) {
    throw new StoragePathError('absolute');
  }
  if (Buffer.byteLength(name, 'utf8') > MAX_SEGMENT_BYTES) {
    throw new StoragePathError('segment_too_long');
  }
  const compat = name.normalize('NFKC');
  if (compat !== name) {
    if (/[/\\]/.test(compat) || compat.includes('..') || ONLY_DOTS_AND_SPACES.test(compat) || CONTROL.test(compat) || DANGEROUS_ESCAPE.test(compat)) {
      throw new StoragePathError('unicode_trick');
    }
  }
  const once = laxDecode(name);
  if (once !== name && (/[/\\]/.test(once) || CONTROL.test(once) || DANGEROUS_ESCAPE.test(once) || ONLY_DOTS_AND_SPACES.test(once))) {
    throw new StoragePathError('encoded_separator');
  }
  return name;
}

/** A driver key given either as a `StoragePath` or as a string that must parse as one. */
export type StorageKey = string | StoragePath;

/** The `StoragePath` of a driver key. */
export function toStoragePath(key: StorageKey): StoragePath {
  return key instanceof StoragePath ? key : StoragePath.parse(key);
}
