import type { Readable, Writable } from 'node:stream';
import { DomainError } from '@mft/core';
import type { StorageKey } from './storage-path.js';

/** What a backend can do natively; callers branch on these instead of assuming a POSIX disk. */
export interface StorageCapabilities {
  /** Reads can start at an offset without reading what comes before. */
  readonly rangeReads: boolean;
  /** A staged write becomes visible in one step (rename, multipart completion). */
  readonly atomicCommit: boolean;
  /** Folders can be listed (`list`). */
  readonly listing: boolean;
  /** The backend itself can copy an object to another key without the bytes passing through the gateway. */
  readonly serverSideCopy: boolean;
  /** An interrupted staged write can be continued instead of started again. */
  readonly resumableWrites: boolean;
}

/** An inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** A write in progress: bytes go to `stream`; they become visible under the key only at `commit`. */
export interface StagedWrite {
  readonly stream: Writable;
  /**
   * Opaque text naming the staged bytes on the backend (an S3 multipart UploadId, a staged file
   * name), known before the first byte is written. Kept with the upload's record, it lets any
   * process discard the write after a crash (`StorageDriver.discardStaged`).
   */
  readonly reference: string;
  /** Makes the written bytes visible under the key. Call after `stream` has finished. */
  commit(): Promise<void>;
  /** Drops whatever was written; safe to call at any point, and more than once. */
  abort(): Promise<void>;
}

export type StoredObjectKind = 'file' | 'folder';

/**
 * When an object was last modified. A file always has a time; a folder has one where the backend
 * keeps one, and null where it does not (an S3 folder is only a key prefix, with no object of its own).
 */
type ModifiedAt = { readonly kind: 'file'; readonly modifiedAt: Date } | { readonly kind: 'folder'; readonly modifiedAt: Date | null };

/** What `stat` knows about one object, in terms every backend can answer. */
export type StoredObjectInfo = ModifiedAt & {
  /** Bytes; 0 for folders. */
  readonly size: number;
  /**
   * Opaque; differs whenever the content may have changed (an S3 ETag; on local disk size, mtime,
   * ctime and inode; over SFTP size and mtime). Compare for equality only.
   */
  readonly version: string;
};

/** One entry of a folder listing. */
export type StorageEntry = ModifiedAt & {
  /** The entry's own name (one path segment, NFC). */
  readonly name: string;
  readonly size: number;
};

/** A page of a listing: `next` is the cursor of the following page, null on the last one. */
export interface StorageListPage {
  readonly entries: readonly StorageEntry[];
  readonly next: string | null;
}

export interface StorageListOptions {
  /** The `next` of the previous page; absent or null for the first page. */
  readonly cursor?: string | null;
  /** Entries per page, 1 to `MAX_LIST_LIMIT`; `DEFAULT_LIST_LIMIT` when absent. */
  readonly limit?: number;
}

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

export interface OpenReadOptions {
  /** Fails with `StorageChangedError` unless the object still has this `version` (see `stat`). */
  readonly expectedVersion?: string;
}

/**
 * An opened file read at positions into the caller's buffers (`StorageDriver.openReader`): a
 * transfer can then cycle a few buffers of its own instead of a new one per chunk.
 */
export interface PositionedReader {
  /** Size of the opened file in bytes. */
  readonly size: number;
  /** Reads up to `length` bytes at `position` into the start of `buffer`; `bytesRead` 0 at the end of the file. */
  read(buffer: Buffer, length: number, position: number, done: (err: Error | null, bytesRead: number) => void): void;
  /** Releases the file; call it once, after the last read has called back. */
  close(): Promise<void>;
}

export interface BeginWriteOptions {
  /** The expected size in bytes, when known: lets a backend choose its part size (S3 has 10,000 parts). */
  readonly sizeHint?: number;
}

/**
 * One storage backend (local disk now; S3 and SFTP behind the same interface). Keys are
 * `StoragePath`s, or strings that parse as one (`a/b`); a driver must refuse any key that would
 * leave its root, including through symlinks. Failures are `StorageError`s.
 */
export interface StorageDriver {
  readonly capabilities: StorageCapabilities;
  /** Starts a staged write of `key`; `stagingId` names the staging area so that an abandoned write can be discarded later. */
  beginWrite(key: StorageKey, stagingId: string, options?: BeginWriteOptions): Promise<StagedWrite>;
  /**
   * Removes the staged bytes of a write that never committed (a crashed upload), from any process.
   * `reference` is the `StagedWrite.reference` of the write; without it (records kept before there
   * was one) the driver finds the staged bytes from the key and the staging id. Idempotent.
   */
  discardStaged(key: StorageKey, stagingId: string, reference?: string | null): Promise<void>;
  /** The bytes of the file `key` (only `range` of them when given). */
  openRead(key: StorageKey, range?: ByteRange, options?: OpenReadOptions): Promise<Readable>;
  /** Optional (local files): the file `key` opened for positioned reads into the caller's buffers. Same checks and errors as `openRead`. */
  openReader?(key: StorageKey, options?: OpenReadOptions): Promise<PositionedReader>;
  stat(key: StorageKey): Promise<StoredObjectInfo>;
  /**
   * Optional: makes the committed file `from` also available at the new key `to`, inside this
   * backend and without its bytes passing through the gateway (a hard link on local disk, CopyObject
   * on S3); `from` stays. The new name never shows partial bytes. Answers false when the backend
   * cannot do it for these two (another file system, an object above the copy limit), so that the
   * caller streams the bytes instead.
   */
  copyWithin?(from: StorageKey, to: StorageKey): Promise<boolean>;
  /** The entries of the folder `prefix` (the root is `StoragePath.root`), sorted by the UTF-8 bytes of their names. */
  list(prefix: StorageKey, options?: StorageListOptions): Promise<StorageListPage>;
  /** Deletes `key`; deleting what is not there succeeds. */
  delete(key: StorageKey): Promise<void>;
  /**
   * Removes the folder `prefix` if nothing is left in it (backends without folders, such as object
   * stores, have nothing to do). Never removes anything that holds data.
   */
  removeEmptyFolder(prefix: StorageKey): Promise<void>;
  /** Resolves when the backend is reachable and writable. */
  ping(): Promise<void>;
  /**
   * The same backend with the folder `folder` as its root (a share of `/docs`): nothing outside it
   * is reachable, symlinks included, so `/docs` never serves `/docs-private` or what a link in
   * `/docs` points to elsewhere. Checked at every access, like the root.
   */
  scope(folder: StorageKey): StorageDriver;
}

/** The classes of storage failure, the same for every driver; each protocol edge maps them once. */
export type StorageFailure = 'not_found' | 'permission' | 'changed' | 'unsupported' | 'unavailable';

/**
 * A storage failure. `message` and `details` are safe to show to whoever made the request (a
 * recipient included); `operatorDetail` names keys and backend errors and belongs in logs only.
 */
export abstract class StorageError extends DomainError {
  abstract readonly failure: StorageFailure;

  protected constructor(
    kind: DomainError['kind'],
    code: string,
    message: string,
    readonly operatorDetail: string,
    details: Record<string, unknown> = {},
  ) {
    super(kind, code, message, details);
  }
}

export const isStorageError = (err: unknown): err is StorageError => err instanceof StorageError;

export class StorageNotFoundError extends StorageError {
  readonly failure = 'not_found';
  constructor(key: string, why?: string) {
    super('not_found', 'storage_not_found', 'This file or folder does not exist.', `no object at ${JSON.stringify(key)}${why ? ` (${why})` : ''}`);
  }
}

export class StoragePermissionError extends StorageError {
  readonly failure = 'permission';
  constructor(operatorDetail: string) {
    super('forbidden', 'storage_permission_denied', 'Access to this file or folder is not allowed.', operatorDetail);
  }
}

/** The object is no longer the version the caller expected (`OpenReadOptions.expectedVersion`). */
export class StorageChangedError extends StorageError {
  readonly failure = 'changed';
  constructor(
    key: string,
    readonly expectedVersion: string,
    readonly currentVersion: string,
  ) {
    super('conflict', 'storage_changed', 'This file has changed since it was shared.', `${JSON.stringify(key)} is at version ${currentVersion}, not ${expectedVersion}`);
  }
}

export class StorageUnsupportedError extends StorageError {
  readonly failure = 'unsupported';
  constructor(operatorDetail: string) {
    super('not_implemented', 'storage_unsupported', 'This storage cannot do that.', operatorDetail);
  }
}

/** The backend cannot be used now; `retryable` says whether the same request may succeed later unchanged. */
export class StorageUnavailableError extends StorageError {
  readonly failure = 'unavailable';
  readonly retryable: boolean;
  constructor(operatorDetail: string, options: { retryable?: boolean; reason?: string } = {}) {
    const retryable = options.retryable ?? true;
    super(
      'unavailable',
      'storage_unavailable',
      `The storage is ${retryable ? 'temporarily ' : ''}unavailable${options.reason ? ` (${options.reason})` : ''}.${retryable ? ' Try again in a moment.' : ''}`,
      operatorDetail,
      { retryable },
    );
    this.retryable = retryable;
  }
}
