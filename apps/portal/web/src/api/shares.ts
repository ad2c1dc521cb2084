import { call, callJson } from './client.ts';
import type { CreatedLink } from './links.ts';

/** A storage connection the signed-in person may share from, with the folders they may share. */
export interface ShareSource {
  readonly connectionId: string;
  readonly name: string;
  readonly kind: 'local' | 's3' | 'sftp';
  /** Folders from the connection's root ("/docs"); "/" for all of it. */
  readonly roots: readonly string[];
}

/** One file or folder of a connection, with its path from the connection's root. */
export interface ConnectionEntry {
  readonly name: string;
  readonly path: string;
  readonly kind: 'file' | 'folder';
  readonly size: number;
  /** Null for a folder of a storage that keeps no time for it (S3). */
  readonly modifiedAt: string | null;
}

export interface EntriesPage {
  readonly entries: readonly ConnectionEntry[];
  /** The cursor of the following page, or null on the last one. */
  readonly next: string | null;
}

/** The body of a new share link: what to share, to whom, and the link options spread in. */
export interface ShareLinkRequest {
  readonly connectionId: string;
  readonly path: string;
  readonly recipients: readonly string[];
  readonly pinContent?: boolean;
  readonly [option: string]: unknown;
}

export const sharesApi = {
  sources: (): Promise<ShareSource[]> => call<ShareSource[]>('GET', '/share-sources'),
  entries: (connectionId: string, path: string, cursor: string | null): Promise<EntriesPage> => {
    const query = new URLSearchParams({ path, ...(cursor ? { cursor } : {}) });
    return call<EntriesPage>('GET', `/connections/${encodeURIComponent(connectionId)}/entries?${query.toString()}`);
  },
  create: (request: ShareLinkRequest): Promise<CreatedLink> => callJson<CreatedLink>('POST', '/links', { ...request, kind: 'share' }),
};
