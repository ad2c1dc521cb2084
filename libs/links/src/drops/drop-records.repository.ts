import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';
import { liveLinkSql } from '../repositories/link.repository.js';

/** A dropped file whose link exists (`sent`) or was refused, as its dropper's listing shows it. */
export interface DropRecord {
  readonly id: string;
  readonly folder: string;
  readonly fileName: string;
  readonly outcome: 'sent' | 'refused';
  readonly linkId: string | null;
  readonly fileId: string | null;
  readonly size: number;
  readonly linkTextSealed: string | null;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly createdAt: Date;
  /** For a sent file: where its copy is stored. */
  readonly storage: { connection: string; key: string } | null;
}

interface Row {
  id: string;
  folder: string;
  file_name: string;
  outcome: 'sent' | 'refused';
  link_id: string | null;
  file_id: string | null;
  size: string | number;
  link_text_sealed: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: Date | string;
  storage_connection: string | null;
  storage_key: string | null;
}

const toRecord = (r: Row): DropRecord => ({
  id: r.id,
  folder: r.folder,
  fileName: r.file_name,
  outcome: r.outcome,
  linkId: r.link_id,
  fileId: r.file_id,
  size: Number(r.size),
  linkTextSealed: r.link_text_sealed,
  errorCode: r.error_code,
  errorMessage: r.error_message,
  createdAt: new Date(r.created_at),
  storage: r.storage_connection && r.storage_key ? { connection: r.storage_connection, key: r.storage_key } : null,
});

/** Every SQL statement about SFTP drops. */
@Injectable()
export class DropRecordsRepository {
  constructor(private readonly db: Database) {}

  async insert(r: { id: string; userId: string; folder: string; fileName: string; outcome: 'sent' | 'refused'; linkId: string | null; fileId: string | null; size: number; linkTextSealed: string | null; errorCode: string | null; errorMessage: string | null }): Promise<void> {
    await this.db.query(
      `INSERT INTO sftp_drops (id, user_id, folder, file_name, outcome, link_id, file_id, size, link_text_sealed, error_code, error_message)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [r.id, r.userId, r.folder, r.fileName, r.outcome, r.linkId, r.fileId, r.size, r.linkTextSealed, r.errorCode, r.errorMessage],
    );
  }

  /**
   * What `userId`'s listing of `folder` shows: refusals, and sent files whose link still lives
   * (a file dropped again after its link ended shows once, as the newest drop of that name).
   */
  async inFolder(userId: string, folder: string): Promise<DropRecord[]> {
    const rows = await this.db.query<Row>(
      `SELECT d.id, d.folder, d.file_name, d.outcome, d.link_id, d.file_id, d.size, d.link_text_sealed, d.error_code, d.error_message, d.created_at,
              l.storage_connection, f.storage_key
       FROM sftp_drops d
       LEFT JOIN links l ON l.id = d.link_id
       LEFT JOIN link_files f ON f.id = d.file_id
       WHERE d.user_id = $1 AND d.folder = $2 AND (d.outcome = 'refused' OR ${liveLinkSql({ link: 'l', now: 'now()' })})
       ORDER BY d.file_name, d.created_at DESC`,
      [userId, folder],
    );
    const seen = new Set<string>();
    return rows.map(toRecord).filter((r) => {
      const key = `${r.outcome}:${r.fileName}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
  }

  /** The folders under `prefix` (`send/`) where `userId` has something to show. */
  async folders(userId: string, prefix: string): Promise<string[]> {
    const rows = await this.db.query<{ folder: string }>(
      `SELECT DISTINCT d.folder FROM sftp_drops d LEFT JOIN links l ON l.id = d.link_id
       WHERE d.user_id = $1 AND left(d.folder, length($2)) = $2 AND (d.outcome = 'refused' OR ${liveLinkSql({ link: 'l', now: 'now()' })})
       ORDER BY d.folder`,
      [userId, prefix],
    );
    return rows.map((r) => r.folder);
  }

  /** Forgets the refusals of `fileName` (the dropper removed its `.error.txt`, or dropped it again). */
  async deleteRefusals(userId: string, folder: string, fileName: string): Promise<number> {
    const rows = await this.db.query<{ id: string }>(`DELETE FROM sftp_drops WHERE user_id = $1 AND folder = $2 AND file_name = $3 AND outcome = 'refused' RETURNING id`, [userId, folder, fileName]);
    return rows.length;
  }
}

/** A stored file of a drop waiting for its link, as kept in the database. */
export interface WaitingRow {
  readonly fileId: string;
  readonly batchId: string;
  readonly userId: string;
  readonly username: string;
  readonly folder: string;
  readonly fieldsSealed: string;
  readonly connection: string;
  readonly position: number;
  readonly name: string;
  readonly originalName: string | null;
  readonly size: number;
  readonly sha256: string;
  readonly crc32: number | null;
  readonly contentType: string;
  readonly storageKey: string;
}

/** Every SQL statement about drops waiting for their link. */
@Injectable()
export class DropWaitingRepository {
  constructor(private readonly db: Database) {}

  async insert(r: Omit<WaitingRow, 'username'>): Promise<void> {
    await this.db.query(
      `INSERT INTO sftp_drop_waiting (file_id, batch_id, user_id, folder, fields_sealed, storage_connection, position, file_name, original_name, size, sha256, crc32, content_type, storage_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [r.fileId, r.batchId, r.userId, r.folder, r.fieldsSealed, r.connection, r.position, r.name, r.originalName, r.size, r.sha256, r.crc32, r.contentType, r.storageKey],
    );
  }

  /** The owner process is alive: its batches are not orphans. */
  async touch(batchIds: readonly string[]): Promise<void> {
    if (batchIds.length > 0) {
      await this.db.query(`UPDATE sftp_drop_waiting SET seen_at = now() WHERE batch_id = ANY($1::uuid[])`, [batchIds]);
    }
  }

  async deleteBatch(batchId: string): Promise<void> {
    await this.db.query(`DELETE FROM sftp_drop_waiting WHERE batch_id = $1`, [batchId]);
  }

  /** Batches nobody has touched for `staleSeconds`: their process died. */
  async orphanBatches(staleSeconds: number, limit: number): Promise<string[]> {
    const rows = await this.db.query<{ batch_id: string }>(
      `SELECT batch_id FROM sftp_drop_waiting GROUP BY batch_id HAVING max(seen_at) < now() - make_interval(secs => $1::float8) ORDER BY min(created_at) LIMIT $2`,
      [staleSeconds, limit],
    );
    return rows.map((r) => r.batch_id);
  }

  /** Takes an orphaned batch for this process (one winner among replicas): its rows, or none when another took it first. */
  async claim(batchId: string, staleSeconds: number): Promise<WaitingRow[]> {
    return this.db.transaction(async () => {
      // The rows are locked first; a replica that waited here then sees them fresh, and leaves them.
      await this.db.query(`SELECT file_id FROM sftp_drop_waiting WHERE batch_id = $1 FOR UPDATE`, [batchId]);
      const [stale] = await this.db.query<{ stale: boolean }>(
        `SELECT coalesce(max(seen_at) < now() - make_interval(secs => $2::float8), false) AS stale FROM sftp_drop_waiting WHERE batch_id = $1`,
        [batchId, staleSeconds],
      );
      if (!stale?.stale) {
        return [];
      }
      const rows = await this.db.query<Record<string, unknown>>(
        `UPDATE sftp_drop_waiting w SET seen_at = now() FROM users u WHERE w.batch_id = $1 AND u.id = w.user_id RETURNING w.*, u.username`,
        [batchId],
      );
    return rows
      .map((r) => ({
        fileId: String(r.file_id),
        batchId: String(r.batch_id),
        userId: String(r.user_id),
        username: String(r.username),
        folder: String(r.folder),
        fieldsSealed: String(r.fields_sealed),
        connection: String(r.storage_connection),
        position: Number(r.position),
        name: String(r.file_name),
        originalName: r.original_name === null ? null : String(r.original_name),
        size: Number(r.size),
        sha256: String(r.sha256),
        crc32: r.crc32 === null ? null : Number(r.crc32),
        contentType: String(r.content_type),
        storageKey: String(r.storage_key),
      }))
      .sort((a, b) => a.position - b.position);
    });
  }
}
