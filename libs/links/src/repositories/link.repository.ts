import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';
import type { Link, LinkFile, LinkStatus } from '../link.js';
import { toFile, toLink, type FileRow, type LinkRow } from './link-rows.js';

/** The columns of a link joined with its owner (`links l JOIN users u`), as `toLink` reads them. */
export const LINK_COLUMNS = `l.*, u.username AS owner_name, u.display_name AS owner_display_name, u.email AS owner_email`;

const SQL_ALIAS = /^[a-z_][a-z0-9_]*$/;
const SQL_PLACEHOLDER = /^\$[1-9][0-9]*$/;

/**
 * Where a "live" predicate is evaluated: the aliases of the rows in the query, and the instant, as
 * `now()` (the transaction's time) or a parameter placeholder such as `$3` bound to a Date. Only
 * aliases and placeholders are accepted, so no value can ever be written into the SQL text.
 */
export interface LiveSqlAt {
  /** Alias of the `links` row. */
  readonly link: string;
  /** `now()`, or the placeholder of a timestamptz parameter. */
  readonly now: string;
}

function sqlAlias(alias: string): string {
  if (!SQL_ALIAS.test(alias)) {
    throw new Error(`not an SQL alias: ${JSON.stringify(alias)}`);
  }
  return alias;
}

function sqlInstant(now: string): string {
  if (now === 'now()') {
    return now;
  }
  if (!SQL_PLACEHOLDER.test(now)) {
    throw new Error(`not now() or a parameter placeholder: ${JSON.stringify(now)}`);
  }
  return `${now}::timestamptz`;
}

/**
 * SQL: the link `at.link` still works at `at.now`: neither revoked, ended nor purged, and its
 * expiry (if any) still ahead. The SQL form of `LinkRules.usable`, tested against it row by row.
 */
export function liveLinkSql(at: LiveSqlAt): string {
  const l = sqlAlias(at.link);
  const now = sqlInstant(at.now);
  return `(${l}.revoked_at IS NULL AND ${l}.ended_at IS NULL AND ${l}.ended_reason IS NULL AND ${l}.purged_at IS NULL AND (${l}.expires_at IS NULL OR ${l}.expires_at > ${now}))`;
}

/**
 * SQL: the grant `at.grant` of link `at.link` may be used at `at.now`: the grant still active,
 * below its download limit, and its link live (`liveLinkSql`). The SQL form of `GrantRules.usable`,
 * tested against it row by row; every query about a usable grant says it with this.
 */
export function liveGrantSql(at: LiveSqlAt & { /** Alias of the `grants` row. */ readonly grant: string }): string {
  const g = sqlAlias(at.grant);
  const l = sqlAlias(at.link);
  return `(${g}.status = 'active' AND ${liveLinkSql(at)} AND COALESCE(${g}.downloads < CASE WHEN ${l}.one_time THEN 1 ELSE ${l}.max_downloads END, true))`;
}

/**
 * SQL: the status its sender sees of link `at.link` at `at.now` (`active`, `revoked`, `expired` or
 * `consumed`). The SQL form of `LinkRules.status`, with the same precedence.
 */
export function linkStatusSql(at: LiveSqlAt): string {
  const l = sqlAlias(at.link);
  const now = sqlInstant(at.now);
  return `(CASE WHEN ${l}.revoked_at IS NOT NULL THEN 'revoked' WHEN ${l}.ended_reason IS NOT NULL THEN ${l}.ended_reason WHEN ${l}.expires_at <= ${now} THEN 'expired' ELSE 'active' END)`;
}

/** `s` with the LIKE wildcards and the escape character written literally. */
const likeEscaped = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Which links `LinkRepository.listLinks` answers. */
export interface LinkListFilter {
  /** Only this owner's links; null: everyone's (admins). */
  readonly ownerId: string | null;
  /** Only the links of the user with this username (case-insensitive); null: any owner. */
  readonly ownerName?: string | null;
  readonly limit: number;
  /** Only links created before this instant. */
  readonly before: Date | null;
  /** Only links after this one in the list's order (the id of the previous page's last link). */
  readonly after: string | null;
  readonly status: LinkStatus | null;
  readonly search: string | null;
  /** The instant at which `status` is decided. */
  readonly now: Date;
}

/** The options of a link to create. */
export type NewLink = Pick<
  Link,
  | 'id'
  | 'kind'
  | 'ownerId'
  | 'storageConnection'
  | 'oneTime'
  | 'maxDownloads'
  | 'expiresAt'
  | 'passwordHash'
  | 'requireEmailVerification'
  | 'message'
  | 'emailRecipients'
  | 'notifyOnDownload'
>;

/** Every SQL statement about links and their files, and about the life of a link as a whole (revocation, expiry, purge). */
@Injectable()
export class LinkRepository {
  constructor(private readonly db: Database) {}

  async insertLink(l: NewLink): Promise<void> {
    await this.db.query(
      `INSERT INTO links (id, kind, owner_id, storage_connection, one_time, max_downloads, expires_at, password_hash,
         require_email_verification, message, email_recipients, notify_on_download)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        l.id,
        l.kind,
        l.ownerId,
        l.storageConnection,
        l.oneTime,
        l.maxDownloads,
        l.expiresAt,
        l.passwordHash,
        l.requireEmailVerification,
        l.message,
        l.emailRecipients,
        l.notifyOnDownload,
      ],
    );
  }

  async insertFile(f: LinkFile): Promise<void> {
    await this.db.query(
      `INSERT INTO link_files (id, link_id, position, name, size, sha256, content_type, storage_key, crc32) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [f.id, f.linkId, f.position, f.name, f.size, f.sha256, f.contentType, f.storageKey, f.crc32 ?? null],
    );
  }

  async findLink(id: string): Promise<Link | null> {
    const [row] = await this.db.query<LinkRow>(
      `SELECT ${LINK_COLUMNS} FROM links l JOIN users u ON u.id = l.owner_id WHERE l.id = $1`,
      [id],
    );
    return row ? toLink(row) : null;
  }

  /**
   * One page of links, newest first (keyset on created_at, then id), filtered as `LinkListFilter`
   * says. Every value is a bound parameter; the search is a case-insensitive substring of a file
   * name, a share's path or a recipient address, or a prefix of the link id.
   */
  async listLinks(f: LinkListFilter): Promise<Link[]> {
    const params: unknown[] = [f.ownerId, f.before, f.limit];
    const where = [`($1::uuid IS NULL OR l.owner_id = $1)`, `($2::timestamptz IS NULL OR l.created_at < $2)`];
    if (f.after) {
      params.push(f.after);
      // The cursor names the last link of the previous page; a link the viewer can not see yields an empty page.
      where.push(`(l.created_at, l.id) < (SELECT c.created_at, c.id FROM links c WHERE c.id = $${params.length} AND ($1::uuid IS NULL OR c.owner_id = $1))`);
    }
    if (f.ownerName) {
      params.push(f.ownerName);
      where.push(`lower(u.username) = lower($${params.length})`);
    }
    if (f.status) {
      params.push(f.status, f.now);
      where.push(`${linkStatusSql({ link: 'l', now: `$${params.length}` })} = $${params.length - 1}`);
    }
    if (f.search) {
      params.push(`%${likeEscaped(f.search)}%`, `${likeEscaped(f.search.toLowerCase())}%`);
      const contains = `$${params.length - 1}`;
      where.push(`(l.id::text LIKE $${params.length}
         OR l.share_path ILIKE ${contains}
         OR EXISTS (SELECT 1 FROM link_files lf WHERE lf.link_id = l.id AND lf.name ILIKE ${contains})
         OR EXISTS (SELECT 1 FROM grants lg WHERE lg.link_id = l.id AND lg.recipient ILIKE ${contains}))`);
    }
    const rows = await this.db.query<LinkRow>(
      `SELECT ${LINK_COLUMNS} FROM links l JOIN users u ON u.id = l.owner_id
       WHERE ${where.join(' AND ')}
       ORDER BY l.created_at DESC, l.id DESC LIMIT $3`,
      params,
    );
    return rows.map(toLink);
  }

  async filesOf(linkId: string): Promise<LinkFile[]> {
    const rows = await this.db.query<FileRow>(`SELECT * FROM link_files WHERE link_id = $1 ORDER BY position`, [linkId]);
    return rows.map(toFile);
  }

  /** The files of several links, in one query. */
  async filesOfLinks(linkIds: readonly string[]): Promise<LinkFile[]> {
    const rows = await this.db.query<FileRow>(`SELECT * FROM link_files WHERE link_id = ANY($1::uuid[]) ORDER BY link_id, position`, [linkIds]);
    return rows.map(toFile);
  }

  /**
   * Ends the link when none of its grants can still be used: as revoked when every grant was
   * revoked, else as consumed. Returns how it ended, or null when it has not (or had already).
   */
  async endLinkIfAllGrantsEnded(linkId: string): Promise<'revoked' | 'consumed' | null> {
    const [row] = await this.db.query<{ ended_reason: 'revoked' | 'consumed' }>(
      `UPDATE links SET ended_at = now(),
         ended_reason = CASE WHEN EXISTS (SELECT 1 FROM grants WHERE link_id = $1 AND status <> 'revoked') THEN 'consumed' ELSE 'revoked' END,
         revoked_at = CASE WHEN EXISTS (SELECT 1 FROM grants WHERE link_id = $1 AND status <> 'revoked') THEN revoked_at ELSE now() END
       WHERE id = $1 AND ended_at IS NULL AND NOT EXISTS (SELECT 1 FROM grants WHERE link_id = $1 AND status = 'active')
       RETURNING ended_reason`,
      [linkId],
    );
    return row?.ended_reason ?? null;
  }

  /** Revokes a link and its live grants. Returns false if it was already revoked. */
  async revokeLink(linkId: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE links SET revoked_at = now(), ended_at = COALESCE(ended_at, now()), ended_reason = COALESCE(ended_reason, 'revoked')
       WHERE id = $1 AND revoked_at IS NULL RETURNING id`,
      [linkId],
    );
    if (rows.length === 0) {
      return false;
    }
    await this.db.query(
      `UPDATE grants SET status = 'revoked', ended_at = now(), claim_id = NULL, claim_session = NULL, claim_seen_at = NULL
       WHERE link_id = $1 AND status = 'active'`,
      [linkId],
    );
    return true;
  }

  /** Live links with their owner's roles and groups, a page at a time (keyset on id). */
  async liveLinksWithOwners(afterId: string | null, limit: number): Promise<Array<{ link: Link; ownerRoles: string[]; ownerGroups: string[] }>> {
    const rows = await this.db.query<LinkRow & { owner_roles: string[]; owner_groups: string[] }>(
      `SELECT ${LINK_COLUMNS}, u.roles AS owner_roles, u.groups AS owner_groups FROM links l JOIN users u ON u.id = l.owner_id
       WHERE ${liveLinkSql({ link: 'l', now: 'now()' })}
         AND ($1::uuid IS NULL OR l.id > $1)
       ORDER BY l.id LIMIT $2`,
      [afterId, limit],
    );
    return rows.map((r) => ({ link: toLink(r), ownerRoles: r.owner_roles, ownerGroups: r.owner_groups }));
  }

  /** Moves a live link's expiry earlier; returns false when it has ended meanwhile or already ends sooner. */
  async shortenExpiry(linkId: string, expiresAt: Date): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE links SET expires_at = $2 WHERE id = $1 AND ended_at IS NULL AND (expires_at IS NULL OR expires_at > $2) RETURNING id`,
      [linkId, expiresAt],
    );
    return rows.length > 0;
  }

  /** Ends every live link whose expiry has passed; returns their ids. */
  async expireDue(limit: number): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `UPDATE links SET ended_at = now(), ended_reason = 'expired'
       WHERE id IN (SELECT id FROM links WHERE ended_at IS NULL AND expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [limit],
    );
    if (rows.length > 0) {
      await this.db.query(
        `UPDATE grants SET status = 'expired', ended_at = now(), claim_id = NULL, claim_session = NULL, claim_seen_at = NULL
         WHERE link_id = ANY($1::uuid[]) AND status = 'active'`,
        [rows.map((r) => r.id)],
      );
    }
    return rows.map((r) => r.id);
  }

  /** Send links that have ended and whose copies are still stored. */
  async purgeCandidates(limit: number): Promise<Link[]> {
    const rows = await this.db.query<LinkRow>(
      `SELECT ${LINK_COLUMNS} FROM links l JOIN users u ON u.id = l.owner_id
       WHERE l.kind = 'send' AND l.ended_at IS NOT NULL AND l.purged_at IS NULL ORDER BY l.ended_at LIMIT $1`,
      [limit],
    );
    return rows.map(toLink);
  }

  /** Marks a link purged; returns false if another process already did. */
  async markPurged(linkId: string): Promise<boolean> {
    const rows = await this.db.query(`UPDATE links SET purged_at = now() WHERE id = $1 AND purged_at IS NULL RETURNING id`, [linkId]);
    if (rows.length > 0) {
      await this.db.query(`UPDATE link_files SET purged_at = now() WHERE link_id = $1`, [linkId]);
      await this.db.query(`DELETE FROM grant_deliveries WHERE grant_id IN (SELECT id FROM grants WHERE link_id = $1)`, [linkId]);
    }
    return rows.length > 0;
  }
}
