import { Injectable } from '@nestjs/common';
import { InvalidInputError } from '@mft/core';
import { StoragePath, StorageService } from '@mft/storage';
import type { Link } from './link.js';
import { ShareLinksRepository, type LinkShare } from './share-links.repository.js';
import { ResolvedShare, shareEntryNotFound, sharePathParam, shareTargetMissing } from './share-paths.js';

/** One entry of a shared folder as a recipient sees it; `path` is relative to the shared folder (`/`). */
export interface ShareEntryView {
  readonly name: string;
  readonly path: string;
  readonly kind: 'file' | 'folder';
  readonly size: number;
  /** Null for a folder whose storage keeps no time for it (S3). */
  readonly modifiedAt: string | null;
}

/** A page of a folder share: the folder shown, its entries, the cursor of the next page, and the way back up. */
export interface ShareFolderView {
  readonly target: 'folder';
  readonly path: string;
  readonly entries: readonly ShareEntryView[];
  readonly next: string | null;
  readonly breadcrumbs: ReadonlyArray<{ readonly name: string; readonly path: string }>;
}

/** A file share, checked to be servable: its size and modification time now. */
export interface ShareFileView {
  readonly target: 'file';
  readonly size: number;
  readonly modifiedAt: string;
}

export const DEFAULT_SHARE_PAGE = 50;
export const MAX_SHARE_PAGE = 500;

/**
 * What a share link's page shows once it is unlocked: the entries of a shared folder (a page at a
 * time, sorted by name, with breadcrumbs), or the shared file as it is now. Views never consume.
 */
@Injectable()
export class ShareBrowser {
  constructor(
    private readonly shares: ShareLinksRepository,
    private readonly storage: StorageService,
  ) {}

  /** What a share link points at (no storage access): for shaping a locked page. */
  async shareOf(link: Link): Promise<LinkShare> {
    const share = link.kind === 'share' ? await this.shares.shareOf(link.id) : null;
    if (!share) {
      throw shareTargetMissing();
    }
    return share;
  }

  /** The page of an unlocked share link. `query` is the request's `path`, `cursor` and `limit`. */
  async view(link: Link, query: { path?: unknown; cursor?: unknown; limit?: unknown }): Promise<ShareFolderView | ShareFileView> {
    const share = await this.shareOf(link);
    const resolved = await ResolvedShare.of(this.storage, link, share);
    if (share.target === 'file') {
      const info = await resolved.fileNow();
      return { target: 'file', size: info.size, modifiedAt: info.modifiedAt.toISOString() };
    }
    const rel = sharePathParam(query.path);
    if (rel.isRoot) {
      await resolved.folderNow();
    } else if ((await resolved.entry(rel)).kind !== 'folder') {
      throw shareEntryNotFound();
    }
    const cursor = query.cursor === undefined || query.cursor === '' ? null : query.cursor;
    if (cursor !== null && typeof cursor !== 'string') {
      throw new InvalidInputError('storage_cursor_invalid', 'This listing cursor is not valid; start again from the first page.');
    }
    const page = await resolved.list(rel, cursor, pageSize(query.limit));
    return {
      target: 'folder',
      path: rel.toString(),
      entries: page.entries.map((e) => ({
        name: e.name,
        path: rel.join(StoragePath.of(e.name)).toString(),
        kind: e.kind,
        size: e.size,
        modifiedAt: e.modifiedAt?.toISOString() ?? null,
      })),
      next: page.next,
      breadcrumbs: rel.segments.map((name, i) => ({ name, path: StoragePath.of(...rel.segments.slice(0, i + 1)).toString() })),
    };
  }
}

function pageSize(raw: unknown): number {
  if (raw === undefined || raw === '') {
    return DEFAULT_SHARE_PAGE;
  }
  const n = typeof raw === 'string' && /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_SHARE_PAGE)) {
    throw new InvalidInputError('invalid_limit', `limit must be a whole number from 1 to ${MAX_SHARE_PAGE}.`);
  }
  return n;
}
