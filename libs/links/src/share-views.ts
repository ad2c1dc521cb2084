import type { Link } from './link.js';
import type { LinkView } from './link-views.js';
import type { LinkShare } from './share-links.repository.js';

/** What a share link's sender sees of what it points at. */
export interface ShareOfLinkView {
  readonly connectionId: string;
  readonly path: string;
  readonly target: 'file' | 'folder';
  readonly pinContent: boolean;
  /** A file share: the file as it was shared. */
  readonly pinned: { readonly size: number; readonly modifiedAt: string; readonly version: string } | null;
}

/** A share link as its sender sees it: the link, plus its connection, path and pinning (also under `share`). */
export type ShareLinkView = LinkView & Pick<ShareOfLinkView, 'connectionId' | 'path' | 'pinContent'> & { readonly share: ShareOfLinkView };

/** Adds what a share link points at to its view; other links are left as they are. */
export function withShare(view: LinkView, link: Link, share: LinkShare | undefined | null): LinkView | ShareLinkView {
  if (link.kind !== 'share' || !share) {
    return view;
  }
  const of: ShareOfLinkView = {
    connectionId: link.storageConnection,
    path: share.path,
    target: share.target,
    pinContent: share.pinContent,
    pinned:
      share.pinnedSize !== null && share.pinnedModifiedAt !== null && share.pinnedVersion !== null
        ? { size: share.pinnedSize, modifiedAt: share.pinnedModifiedAt.toISOString(), version: share.pinnedVersion }
        : null,
  };
  // A folder share's file rows are the accounting of what it delivered, not files of the link.
  const files = share.target === 'folder' ? [] : view.files;
  return { ...view, files, connectionId: of.connectionId, path: of.path, pinContent: of.pinContent, share: of };
}
