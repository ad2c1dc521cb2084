import { ConflictError, ForbiddenError, NotFoundError } from '@mft/core';
import { StorageChangedError, StorageNotFoundError, StoragePath, StoragePathError, StorageService, type StorageDriver, type StorageEntry, type StoredObjectInfo } from '@mft/storage';
import type { Link } from './link.js';
import type { LinkShare } from './share-links.repository.js';

/** The folder of the send-storage connection that holds send-link copies (see `sendFolder`): never shareable. */
const SEND_FOLDER = StoragePath.of('send');

/** Whether `path` (from a connection's root) lies in the send-copies folder. */
export const isInSendFolder = (path: StoragePath): boolean => path.isWithin(SEND_FOLDER);

export const shareForbidden = (): ForbiddenError =>
  new ForbiddenError('share_path_forbidden', 'You may not share this path: it is outside the folders of this storage connection that you may share from.');

export const shareTargetMissing = (): NotFoundError =>
  new NotFoundError('share_target_missing', 'What this link shares is no longer there: it was moved or deleted after the link was made. Ask the sender to share it again.');

export const shareContentChanged = (): ConflictError =>
  new ConflictError(
    'share_content_changed',
    'This file has changed since it was shared, so the link no longer serves it: you would get different contents than the sender shared. Ask the sender to share the new version.',
  );

/** A resumed range (no `If-Range`) of a file or archive whose bytes changed since the recipient's download of it started. */
export const shareResumeChanged = (what: 'file' | 'archive'): ConflictError =>
  new ConflictError(
    'share_content_changed',
    what === 'file'
      ? 'This file changed since your download started; download it again.'
      : 'A file in this folder changed since your download of its archive started; download the archive again.',
  );

export const shareEntryNotFound = (): NotFoundError => new NotFoundError('share_entry_not_found', 'There is no such file or folder in this share. Go back to the link page for the list of files.');

/**
 * A path inside a folder share as a recipient sent it (`?path=`, already URL-decoded once), as a
 * `StoragePath` relative to the shared folder. Anything that is not one (a traversal, an encoded
 * separator, a second value) is a 404, like any other path that is not in the share.
 */
export function sharePathParam(raw: unknown): StoragePath {
  if (raw === undefined || raw === '') {
    return StoragePath.root;
  }
  if (typeof raw !== 'string') {
    throw shareEntryNotFound();
  }
  try {
    return StoragePath.parse(raw);
  } catch (err) {
    if (err instanceof StoragePathError) {
      throw shareEntryNotFound();
    }
    throw err;
  }
}

/** One file of a shared folder, found by walking it. */
export interface ShareFolderFile {
  /** Relative to the shared folder. */
  readonly path: StoragePath;
  readonly size: number;
  readonly modifiedAt: Date;
}

/**
 * A share link's target, resolved at access time: its share record and the driver that reaches it.
 * For a folder share the driver is scoped to the shared folder (`driver.scope`), so containment,
 * symlinks included, is the driver's, checked at every access.
 */
export class ResolvedShare {
  constructor(
    readonly link: Link,
    readonly share: LinkShare,
    /** Unscoped for a file share (its key is `share.path`); scoped to the folder for a folder share. */
    readonly driver: StorageDriver,
    /** Whether the link's connection is the one that holds send-link copies now. */
    private readonly sendConnection: boolean,
  ) {}

  static async of(storage: StorageService, link: Link, share: LinkShare): Promise<ResolvedShare> {
    const root = await storage.driver(link.storageConnection);
    const path = StoragePath.parse(share.path);
    const sendConnection = link.storageConnection === (await storage.sendConnectionId());
    return new ResolvedShare(link, share, share.target === 'folder' && !path.isRoot ? root.scope(path) : root, sendConnection);
  }

  get sharePath(): StoragePath {
    return StoragePath.parse(this.share.path);
  }

  /** Whether a path relative to a folder share must stay invisible (it reaches the send-copies folder). */
  hidden(rel: StoragePath): boolean {
    return this.sendConnection && isInSendFolder(this.sharePath.join(rel));
  }

  /** The shared file as it is now: 404 `share_target_missing` when gone, 409 `share_content_changed` when pinned and changed. */
  async fileNow(): Promise<StoredObjectInfo & { kind: 'file' }> {
    if (this.hidden(StoragePath.root)) {
      throw shareTargetMissing();
    }
    const info = await this.stat(this.sharePath).catch(missingAsTarget);
    if (info.kind !== 'file') {
      throw shareTargetMissing();
    }
    if (this.share.pinContent && info.version !== this.share.pinnedVersion) {
      throw shareContentChanged();
    }
    return info;
  }

  /** Checks that the shared folder is still there (404 `share_target_missing`). */
  async folderNow(): Promise<void> {
    const info = await this.stat(StoragePath.root).catch(missingAsTarget);
    if (info.kind !== 'folder') {
      throw shareTargetMissing();
    }
  }

  /** What `rel` (inside a folder share) is now; 404 for anything not reachable inside the share. */
  async entry(rel: StoragePath): Promise<StoredObjectInfo> {
    await this.folderNow();
    if (this.hidden(rel)) {
      throw shareEntryNotFound();
    }
    try {
      return await this.stat(rel);
    } catch (err) {
      if (err instanceof StorageNotFoundError || err instanceof StoragePathError || (err instanceof Error && 'failure' in err && err.failure === 'permission')) {
        throw shareEntryNotFound();
      }
      throw err;
    }
  }

  /** A page of the folder `rel` of a folder share (entries the share may not show are left out). */
  async list(rel: StoragePath, cursor: string | null, limit: number): Promise<{ entries: StorageEntry[]; next: string | null }> {
    const page = await this.driver.list(rel, { cursor, limit });
    return { entries: page.entries.filter((e) => !this.hidden(rel.join(StoragePath.of(e.name)))), next: page.next };
  }

  /** Every file below the folder `rel`, depth first in listing order; at most `max` (more: null). */
  async walk(rel: StoragePath, max: number): Promise<ShareFolderFile[] | null> {
    const out: ShareFolderFile[] = [];
    const visit = async (folder: StoragePath): Promise<boolean> => {
      let cursor: string | null = null;
      do {
        const page = await this.list(folder, cursor, 1000);
        for (const e of page.entries) {
          const path = folder.join(StoragePath.of(e.name));
          if (e.kind === 'folder') {
            if (!(await visit(path))) {
              return false;
            }
          } else {
            out.push({ path, size: e.size, modifiedAt: e.modifiedAt });
            if (out.length > max) {
              return false;
            }
          }
        }
        cursor = page.next;
      } while (cursor !== null);
      return true;
    };
    return (await visit(rel)) ? out : null;
  }

  /** The storage key of `rel` for this share's driver. */
  key(rel: StoragePath): StoragePath {
    return this.share.target === 'file' ? this.sharePath : rel;
  }

  private async stat(key: StoragePath): Promise<StoredObjectInfo> {
    return this.driver.stat(key);
  }
}

function missingAsTarget(err: unknown): never {
  if (err instanceof StorageNotFoundError) {
    throw shareTargetMissing();
  }
  throw err;
}

/** A read that found the file at another version than it was opened for: never different bytes. */
export function changedAsConflict(err: unknown): unknown {
  return err instanceof StorageChangedError ? shareContentChanged() : err;
}
