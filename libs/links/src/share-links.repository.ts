import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';

/** What a share link points at: a file or folder of its storage connection (`Link.storageConnection`). */
export interface LinkShare {
  readonly linkId: string;
  /** The shared file or folder, from the connection's root (`/docs/report.pdf`). */
  readonly path: string;
  readonly target: 'file' | 'folder';
  /** Whether a changed file is refused (409 `share_content_changed`) instead of served. */
  readonly pinContent: boolean;
  /** What a file was when it was shared (null for folders). */
  readonly pinnedSize: number | null;
  readonly pinnedModifiedAt: Date | null;
  readonly pinnedVersion: string | null;
}

/** One file of a folder share as one delivery cycle delivered it (a `link_files` row per path and version). */
export interface DeliveredShareEntry {
  readonly key: string;
  readonly version: string;
  readonly complete: boolean;
}

interface ShareRow {
  id: string;
  share_path: string;
  share_target: 'file' | 'folder';
  pin_content: boolean;
  pinned_size: string | number | null;
  pinned_mtime: Date | string | null;
  pinned_version: string | null;
}

/** Every SQL statement about what share links point at and the files their folders deliver. */
@Injectable()
export class ShareLinksRepository {
  constructor(private readonly db: Database) {}

  /** Records what a just-inserted link shares (same transaction as `LinksRepository.insertLink`). */
  async setShare(s: LinkShare): Promise<void> {
    await this.db.query(
      `UPDATE links SET share_path = $2, share_target = $3, pin_content = $4, pinned_size = $5, pinned_mtime = $6, pinned_version = $7
       WHERE id = $1 AND kind = 'share'`,
      [s.linkId, s.path, s.target, s.pinContent, s.pinnedSize, s.pinnedModifiedAt, s.pinnedVersion],
    );
  }

  async shareOf(linkId: string): Promise<LinkShare | null> {
    const [row] = await this.db.query<ShareRow>(
      `SELECT id, share_path, share_target, pin_content, pinned_size, pinned_mtime, pinned_version FROM links WHERE id = $1 AND kind = 'share' AND share_path IS NOT NULL`,
      [linkId],
    );
    return row ? toShare(row) : null;
  }

  /** The shares of several links, in one query. */
  async sharesOf(linkIds: readonly string[]): Promise<Map<string, LinkShare>> {
    const rows = await this.db.query<ShareRow>(
      `SELECT id, share_path, share_target, pin_content, pinned_size, pinned_mtime, pinned_version FROM links
       WHERE id = ANY($1::uuid[]) AND kind = 'share' AND share_path IS NOT NULL`,
      [linkIds],
    );
    return new Map(rows.map((r) => [r.id, toShare(r)]));
  }

  /** The IdP groups of a user (share roots may name groups). */
  async groupsOf(userId: string): Promise<string[]> {
    const [row] = await this.db.query<{ groups: string[] | null }>(`SELECT groups FROM users WHERE id = $1`, [userId]);
    return row?.groups ?? [];
  }

  /** Follows an unpinned shared file that changed: its one file row takes the size and version now served. */
  async updateSharedFile(fileId: string, size: number, version: string): Promise<void> {
    await this.db.query(`UPDATE link_files SET size = $2, share_version = $3 WHERE id = $1 AND (size <> $2 OR share_version IS DISTINCT FROM $3)`, [fileId, size, version]);
  }

  /**
   * The file row of one path and version of a folder share, created on its first delivery (the
   * accounting of delivered bytes refers to it). Safe under concurrency: a row another request
   * created meanwhile is found instead.
   */
  async entryFile(linkId: string, e: { key: string; name: string; size: number; version: string }): Promise<string> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const [found] = await this.db.query<{ id: string }>(`SELECT id FROM link_files WHERE link_id = $1 AND storage_key = $2 AND share_version = $3`, [
        linkId,
        e.key,
        e.version,
      ]);
      if (found) {
        return found.id;
      }
      // Positions are unique per link: a concurrent insert may take the same one, and this one then retries.
      await this.db.query(
        `INSERT INTO link_files (id, link_id, position, name, size, sha256, content_type, storage_key, share_version)
         SELECT $1, $2, COALESCE(max(position), -1) + 1, $3, $4, '', 'application/octet-stream', $5, $6 FROM link_files WHERE link_id = $2
         ON CONFLICT DO NOTHING`,
        [randomUUID(), linkId, e.name, e.size, e.key, e.version],
      );
    }
    throw new Error(`could not record the delivered file ${JSON.stringify(e.key)} of share link ${linkId}`);
  }

  /** Records that a download of `target` by grant `grantId` started from its first byte at `version` (the latest start wins). */
  async recordStart(grantId: string, target: string, version: string): Promise<void> {
    await this.db.query(
      `INSERT INTO share_download_starts (grant_id, target, version) VALUES ($1, $2, $3)
       ON CONFLICT (grant_id, target) DO UPDATE SET version = EXCLUDED.version, started_at = now()`,
      [grantId, target, version],
    );
  }

  /** The version at which the grant's last download of `target` started, or null when none did. */
  async startedVersion(grantId: string, target: string): Promise<string | null> {
    const [row] = await this.db.query<{ version: string }>(`SELECT version FROM share_download_starts WHERE grant_id = $1 AND target = $2`, [grantId, target]);
    return row?.version ?? null;
  }

  /** What delivery cycle `cycleId` has delivered of the files of folder share `linkId`, path and version each. */
  async deliveredEntries(cycleId: string, linkId: string): Promise<DeliveredShareEntry[]> {
    const rows = await this.db.query<{ storage_key: string; share_version: string; complete: boolean }>(
      `SELECT f.storage_key, f.share_version, bool_or(d.delivered @> int8range(0, f.size)) AS complete
       FROM link_files f JOIN grant_deliveries d ON d.file_id = f.id AND d.cycle_id = $1
       WHERE f.link_id = $2 AND f.share_version IS NOT NULL
       GROUP BY f.storage_key, f.share_version, f.size`,
      [cycleId, linkId],
    );
    return rows.map((r) => ({ key: r.storage_key, version: r.share_version, complete: r.complete }));
  }
}

function toShare(r: ShareRow): LinkShare {
  return {
    linkId: r.id,
    path: r.share_path,
    target: r.share_target,
    pinContent: r.pin_content,
    pinnedSize: r.pinned_size === null ? null : Number(r.pinned_size),
    pinnedModifiedAt: r.pinned_mtime === null ? null : new Date(r.pinned_mtime),
    pinnedVersion: r.pinned_version,
  };
}
