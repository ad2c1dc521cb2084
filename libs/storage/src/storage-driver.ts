import type { Readable, Writable } from 'node:stream';
import { DomainError } from '@mft/core';

/** What a backend can do natively; callers branch on these instead of assuming a POSIX disk. */
export interface StorageCapabilities {
  /** Reads can start at an offset without reading what comes before. */
  readonly rangeReads: boolean;
  /** A staged write becomes visible in one step (rename, multipart completion). */
  readonly atomicCommit: boolean;
}

/** An inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** A write in progress: bytes go to `stream`; they become visible under the key only at `commit`. */
export interface StagedWrite {
  readonly stream: Writable;
  /** Makes the written bytes visible under the key. Call after `stream` has finished. */
  commit(): Promise<void>;
  /** Drops whatever was written; safe to call at any point, and more than once. */
  abort(): Promise<void>;
}

export interface StoredObjectInfo {
  readonly size: number;
}

/**
 * One storage backend (local disk now; S3 and SFTP behind the same interface). Keys are
 * slash-separated relative paths; a driver must refuse any key that would leave its root.
 */
export interface StorageDriver {
  readonly capabilities: StorageCapabilities;
  /** Starts a staged write of `key`; `stagingId` names the staging area so that an abandoned write can be discarded later. */
  beginWrite(key: string, stagingId: string): Promise<StagedWrite>;
  /** Removes the staged bytes of a write that never committed (a crashed upload). Idempotent. */
  discardStaged(key: string, stagingId: string): Promise<void>;
  openRead(key: string, range?: ByteRange): Promise<Readable>;
  stat(key: string): Promise<StoredObjectInfo>;
  /** Deletes `key`; deleting what is not there succeeds. */
  delete(key: string): Promise<void>;
  /**
   * Removes the folder `prefix` if nothing is left in it (backends without folders, such as object
   * stores, have nothing to do). Never removes anything that holds data.
   */
  removeEmptyFolder(prefix: string): Promise<void>;
  /** Resolves when the backend is reachable and writable. */
  ping(): Promise<void>;
}

/** Storage failures, classified so that each protocol edge can map them once. */
export class StorageNotFoundError extends DomainError {
  constructor(key: string) {
    super('not_found', 'storage_not_found', `The stored object ${JSON.stringify(key)} does not exist.`);
  }
}

export class StoragePermissionError extends DomainError {
  constructor(message: string) {
    super('forbidden', 'storage_permission_denied', message);
  }
}

export class StorageUnsupportedError extends DomainError {
  constructor(message: string) {
    super('invalid', 'storage_unsupported', message);
  }
}

export class StorageUnavailableError extends DomainError {
  constructor(message: string) {
    super('unavailable', 'storage_unavailable', message);
  }
}
